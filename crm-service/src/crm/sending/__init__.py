"""Sending sequence steps: the scheduler worker, email over SMTP, SMS over HTTP, tracking URLs, replies and bounces."""
