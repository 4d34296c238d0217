"""The platform kit every talent service runs on, written once: settings, database and outbox,
Kafka relay and consumer loop, problem+json errors, auth, pagination, idempotency, ETags, observability."""
