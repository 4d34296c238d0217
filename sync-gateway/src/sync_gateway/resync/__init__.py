"""Resync jobs: re-applying the field policy to existing links in the background, with progress and cancel."""
