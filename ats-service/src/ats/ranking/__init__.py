"""Rank and grade: every active application of a job scored against its requirements, with the reasons."""
