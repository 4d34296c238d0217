"""Retention: policies per office or jurisdiction, a dry-run preview, and the scheduled job that anonymises."""
