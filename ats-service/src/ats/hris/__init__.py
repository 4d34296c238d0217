"""The hand-off of a hire to the HRIS through a pluggable adapter: queued with the hire, sent after the commit,
idempotent per hire, retried with backoff, its status on the application."""
