"""The talent platform's contracts: event envelope, event payloads, topics, field ownership."""
