"""The audit trail: every write, append-only, each entry chained to the previous by hash."""
