"""Consent per prospect and channel, and per-channel suppressions: what decides whether the CRM may send."""
