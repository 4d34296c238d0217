"""Sync gateway: links one person across ATS and CRM and applies each change under the field policy."""
