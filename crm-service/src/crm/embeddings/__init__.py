"""Prospect embeddings: computed by a worker after a change (a write never waits for the model), kept in pgvector."""
