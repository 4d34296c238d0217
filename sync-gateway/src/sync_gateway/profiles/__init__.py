"""Profiles: linking one person across the ATS and the CRM, and carrying each profile change field by field."""
