"""The append-only activity timeline of each prospect."""
