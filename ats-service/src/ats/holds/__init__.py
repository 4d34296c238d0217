"""Legal holds: a candidate or a job under hold is neither anonymised by retention nor erased."""
