"""Talent pools, their ordered talent stages, and prospects' memberships."""
