"""Enrollments: one prospect going through one version of a sequence, until completed or exited."""
