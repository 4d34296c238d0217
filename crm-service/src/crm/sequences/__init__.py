"""Nurture sequences: versioned, ordered steps (email, sms, task) with delays, send windows and personalization."""
