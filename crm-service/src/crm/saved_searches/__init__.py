"""Saved searches: a recruiter's query kept, and an alert when new prospects match it."""
