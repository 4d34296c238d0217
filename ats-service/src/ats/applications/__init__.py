"""Applications: one candidate in one job's pipeline, with its stage machine and stage history."""
