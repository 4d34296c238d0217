"""Offers: versioned per application, with an approval and acceptance state machine."""
