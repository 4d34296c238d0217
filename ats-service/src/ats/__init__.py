"""ATS: the system of record for people who have applied."""
