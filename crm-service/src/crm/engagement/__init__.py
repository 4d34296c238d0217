"""Engagement scoring: weighted, time-decayed opens, clicks, replies and page visits; threshold alerts; the report."""
