"""Jobs and their pipeline stages."""
