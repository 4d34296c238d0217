"""The gateway's health beyond readiness: dead letters piling up (an alert), resync jobs in flight."""
