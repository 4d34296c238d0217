"""Backfill: linking every existing person in bulk (pages read from one side, batches written to the other)."""
