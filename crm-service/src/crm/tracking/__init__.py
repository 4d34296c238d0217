"""Tracking endpoints: open pixel, click redirect, one-click unsubscribe, inbound replies, page visits."""
