"""The data-subject access export: everything the CRM holds about one prospect, in one JSON document."""
