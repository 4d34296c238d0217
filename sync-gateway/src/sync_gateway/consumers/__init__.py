"""Kafka consumers: ATS and CRM profile events in, writes to the other side out."""
