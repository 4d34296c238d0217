"""HTTP clients for the ATS and CRM public APIs (the gateway's only way to write to them)."""
