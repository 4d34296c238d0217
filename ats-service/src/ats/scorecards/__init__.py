"""Scorecards: each interviewer's feedback on one interview."""
