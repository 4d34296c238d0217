"""A prospect's work history: the positions they held, from which openness reads their tenure at the current company."""
