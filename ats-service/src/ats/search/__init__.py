"""Full-text search over candidates: profiles and resume text, in the Boolean query language."""
