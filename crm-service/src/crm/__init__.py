"""Recruiting CRM: the system of engagement for people who have not applied (yet)."""
