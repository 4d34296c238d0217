"""Conflicts: every field where the two sides disagreed and how the policy decided."""
