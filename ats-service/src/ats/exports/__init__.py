"""The data-subject access export: everything the ATS holds about one candidate, in one JSON document."""
