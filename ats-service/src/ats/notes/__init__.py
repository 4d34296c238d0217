"""Notes on candidates, and the candidate's activity feed (notes plus audited changes)."""
