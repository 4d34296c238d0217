"""Merging duplicate candidates: a use case over candidates and their applications (notes follow by themselves)."""
