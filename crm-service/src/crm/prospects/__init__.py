"""Prospects: people the CRM nurtures."""
