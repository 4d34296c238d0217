"""Predictive engagement: an explainable score of how open a passive prospect is likely to be to a move."""
