"""Interviews of an application, with interviewer slots that make double-booking impossible."""
