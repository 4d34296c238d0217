"""Prospect search: Boolean (full text), semantic (pgvector) and hybrid (reciprocal rank fusion), all in SQL."""
