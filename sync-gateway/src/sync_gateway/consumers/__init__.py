"""The Kafka side of the gateway: the handler the consumer calls for each event."""
