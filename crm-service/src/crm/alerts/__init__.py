"""Alerts for recruiters (matching talent for a newly opened job; engagement thresholds), and talent rediscovery."""
