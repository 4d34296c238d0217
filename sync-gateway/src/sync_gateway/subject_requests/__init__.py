"""Data-subject requests (GDPR access, erasure, rectification) across the ATS, the CRM and the gateway itself."""
