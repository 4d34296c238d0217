"""Interviewers' availability: working hours in their own time zone and busy blocks, which slot proposals respect."""
