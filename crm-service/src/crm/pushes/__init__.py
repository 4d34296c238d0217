"""Pushes: a recruiter's request that a prospect be considered for an ATS job, and its outcome."""
