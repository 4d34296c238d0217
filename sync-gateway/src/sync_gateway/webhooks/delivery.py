"""Sending one delivery and recording its outcome: signing, the send-time address check, backoff, disabling."""
from __future__ import annotations

import json
import logging
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from sync_gateway.webhooks import signing
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from sync_gateway.webhooks.ssrf import UnsafeDestination, resolve_safe

log = logging.getLogger("sync_gateway.webhooks")
EXCERPT_BYTES = 1024
DISPATCHER = "sync-gateway (webhook dispatcher)"


def render_body(event_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The Standard Webhooks payload: {"type", "timestamp", "data"}, compact JSON (sent and signed as is)."""
    ts = timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": ts, "data": data}, separators=(",", ":"), default=str)


@dataclass
class Outcome:
    ok: bool
    response_status: int | None = None
    latency_ms: float | None = None
    excerpt: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def gone(self) -> bool:
        return self.response_status == 410


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """`Retry-After` as delay-seconds or an HTTP-date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


def next_delay(settings: WebhookSettings, retry_step: int, retry_after: float | None) -> float | None:
    """Seconds until the next attempt (schedule with jitter, never sooner than Retry-After), or None: give up."""
    if retry_step >= len(settings.retry_schedule):
        return None
    delay = settings.retry_schedule[retry_step] * (1 + random.uniform(-settings.jitter, settings.jitter))
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.max_retry_after_seconds))
    return delay


def new_client(settings: WebhookSettings) -> httpx.AsyncClient:
    # no redirects (a 3xx could point inside), no proxies from the environment (they would bypass the address pin)
    return httpx.AsyncClient(timeout=settings.timeout_seconds, follow_redirects=False, trust_env=False)


async def send(client: httpx.AsyncClient, settings: WebhookSettings, *, url: str, secrets: list[str], msg_id: str,
               body: str) -> Outcome:
    """POST once: resolve and check the host, pin the checked address, sign, read the start of the answer."""
    try:
        host, ip = await resolve_safe(url, allow_loopback=settings.allow_loopback)
    except UnsafeDestination as exc:
        return Outcome(ok=False, error=f"destination refused: {exc}")
    target = httpx.URL(url)
    pinned = target.copy_with(host=ip)
    host_header = host if target.port is None else f"{host}:{target.port}"
    timestamp = int(time.time())
    headers = {"content-type": "application/json", "user-agent": "talentkit-webhooks/1.0", "host": host_header,
               **signing.headers(secrets, msg_id, timestamp, body)}
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    started = time.perf_counter()
    try:
        async with client.stream("POST", pinned, content=body.encode(), headers=headers, extensions=extensions) as resp:
            raw = b""
            async for chunk in resp.aiter_bytes():
                raw += chunk
                if len(raw) >= EXCERPT_BYTES:
                    break
        latency = (time.perf_counter() - started) * 1000
    except httpx.HTTPError as exc:
        return Outcome(ok=False, latency_ms=(time.perf_counter() - started) * 1000,
                       error=f"{type(exc).__name__}: {exc}"[:500])
    return Outcome(ok=200 <= resp.status_code < 300, response_status=resp.status_code, latency_ms=round(latency, 2),
                   excerpt=raw[:EXCERPT_BYTES].decode(errors="replace"),
                   retry_after=parse_retry_after(resp.headers.get("retry-after"), datetime.now(UTC)))


def disable(endpoint: WebhookEndpoint, reason: str, now: datetime, actor: str = DISPATCHER) -> None:
    endpoint.enabled = False
    endpoint.disabled_reason = reason
    endpoint.disabled_at = now
    endpoint.version += 1
    endpoint.updated_by = actor


def apply_outcome(delivery: WebhookDelivery, endpoint: WebhookEndpoint, outcome: Outcome, settings: WebhookSettings,
                  now: datetime, *, retry: bool = True) -> WebhookAttempt:
    """Record the attempt and decide what follows: done, retry later, give up; 410 or 3 days failing disable the endpoint.

    `retry=False` (a ping) records the attempt without retries and without touching the endpoint's health."""
    delivery.attempt_count += 1
    delivery.last_attempt_at = now
    if outcome.ok:
        delivery.status, delivery.next_attempt_at = "succeeded", None
        if retry:
            endpoint.failing_since = None
    elif not retry:
        delivery.status, delivery.next_attempt_at = "failed", None
    elif outcome.gone:
        delivery.status, delivery.next_attempt_at = "failed", None
        if endpoint.enabled:
            disable(endpoint, "The endpoint answered 410 Gone.", now)
    else:
        delay = next_delay(settings, delivery.retry_step, outcome.retry_after)
        delivery.retry_step += 1
        if delay is None:
            delivery.status, delivery.next_attempt_at = "failed", None
        else:
            delivery.next_attempt_at = now + timedelta(seconds=delay)
        endpoint.failing_since = endpoint.failing_since or now
        failing_for = (now - endpoint.failing_since).total_seconds()
        if endpoint.enabled and failing_for >= settings.disable_after_failing_seconds:
            disable(endpoint, f"Every delivery failed since {endpoint.failing_since.isoformat()} "
                              f"({failing_for / 3600:.0f} h); re-enable it once the receiver works.", now)
    return WebhookAttempt(delivery_id=delivery.id, number=delivery.attempt_count,
                          status="succeeded" if outcome.ok else "failed", response_status=outcome.response_status,
                          latency_ms=outcome.latency_ms, response_excerpt=outcome.excerpt, error=outcome.error,
                          next_attempt_at=delivery.next_attempt_at, attempted_at=now)
