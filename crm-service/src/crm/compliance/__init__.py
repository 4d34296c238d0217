"""GDPR upkeep the CRM does by itself: consent renewal, expiry (flow 8) and the Art. 14 notice of sourced prospects."""
