"""Links: the same person in the ATS and in the CRM."""
