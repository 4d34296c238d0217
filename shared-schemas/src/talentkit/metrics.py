"""Prometheus metrics shared by every service."""
from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
HTTP_LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"])
OUTBOX_PUBLISHED = Counter("outbox_events_published_total", "Outbox events published to Kafka", ["service"])
OUTBOX_LAG = Gauge("outbox_oldest_unpublished_age_seconds", "Age of the oldest event in the last published batch", ["service"])
EVENTS_CONSUMED = Counter("events_consumed_total", "Events consumed", ["consumer", "type", "outcome"])
EVENT_APPLY_LATENCY = Histogram("event_apply_seconds", "Time from event creation to applied", ["consumer"],
                                buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60))
DEAD_LETTERS = Counter("dead_letters_total", "Events sent to the dead-letter topic", ["consumer"])
CONSUMER_LAG = Gauge("consumer_lag_messages", "Messages behind the log end", ["consumer", "topic", "partition"])
CONSUMER_IN_FLIGHT = Gauge("consumer_in_flight_events", "Events being applied right now", ["consumer"])
CONSUMER_BUFFERED = Gauge("consumer_buffered_events", "Events fetched and not finished yet (queued, retrying, in flight)",
                          ["consumer"])
CONSUMER_PAUSED_PARTITIONS = Gauge("consumer_paused_partitions", "Partitions paused because their buffer is full",
                                   ["consumer"])
CONSUMER_RETRIES = Counter("consumer_retries_total", "Failed attempts that will be tried again", ["consumer", "reason"])
EVENTS_PARKED = Counter("consumer_events_parked_total", "Events dead-lettered after failing transiently max_attempts times",
                        ["consumer"])
CONSUMER_CIRCUIT_OPEN = Gauge("consumer_circuit_open", "1 while a peer outage holds all work back", ["consumer"])
