"""Candidates: the people in the ATS."""
