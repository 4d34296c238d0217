"""Pushing many prospects (a search's results or a list) to one ATS job, each through the push-to-job flow."""
