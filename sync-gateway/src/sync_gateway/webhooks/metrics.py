"""What ops watch (Prometheus) and are told about (an error log line an alert rule can match)."""
from __future__ import annotations

import logging
import uuid

from prometheus_client import Counter, Gauge

from sync_gateway.webhooks.delivery import Outcome

log = logging.getLogger("sync_gateway.webhooks")

ATTEMPTS = Counter("webhook_attempts_total", "Webhook delivery attempts by outcome", ["outcome"])
QUEUED = Counter("webhook_deliveries_queued_total", "Deliveries created by the fan-out")
DISABLED = Counter("webhook_endpoints_disabled_total", "Endpoints the dispatcher disabled (410 Gone, failing too long)")
DISABLED_ENDPOINTS = Gauge("webhook_disabled_endpoints", "Webhook endpoints disabled now (alert when it rises)")


def attempt(outcome: Outcome) -> None:
    """Count one attempt: succeeded, failed (an answer), unsent (refused destination, network, timeout)."""
    ATTEMPTS.labels("succeeded" if outcome.ok else "failed" if outcome.response_status else "unsent").inc()


def endpoint_disabled(endpoint_id: uuid.UUID, url: str, reason: str) -> None:
    """The dispatcher gave up on an endpoint: count it, raise the gauge, and say so at ERROR level."""
    DISABLED.inc()
    DISABLED_ENDPOINTS.inc()
    log.error("webhook endpoint disabled", extra={"alert": "webhook_endpoint_disabled", "endpoint_id": str(endpoint_id),
                                                  "url": url, "reason": reason})
