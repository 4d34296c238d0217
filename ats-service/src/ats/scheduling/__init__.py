"""Proposing interview slots for a panel, and candidate self-scheduling through a signed, expiring link."""
