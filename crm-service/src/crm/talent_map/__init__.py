"""Talent mapping: how many prospects per company, title, skill, location or seniority, for a search."""
