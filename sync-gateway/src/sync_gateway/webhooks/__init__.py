"""Outbound webhooks for integrators (Standard Webhooks 1.0): endpoints, a fan-out consumer, a dispatcher."""
