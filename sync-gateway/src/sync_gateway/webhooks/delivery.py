"""Sending one delivery: the body, the send-time address check, signing, the outcome, and the retry schedule."""
from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

import httpx

from sync_gateway.webhooks import signing, ssrf

if TYPE_CHECKING:
    from sync_gateway.webhooks.config import WebhookSettings

EXCERPT_BYTES = 1024


def render_body(event_type: str, timestamp: datetime, data: dict[str, Any]) -> str:
    """The Standard Webhooks payload: {"type", "timestamp", "data"}, compact JSON (sent and signed as is)."""
    ts = timestamp.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return json.dumps({"type": event_type, "timestamp": ts, "data": data}, separators=(",", ":"), default=str)


@dataclass
class Outcome:
    """What one attempt came to: a response (with its status), or the reason nothing could be sent."""

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
    except (TypeError, ValueError, IndexError):
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
    """No redirects (a 3xx could point inside; it is the attempt's answer), no proxies from the environment
    (they would bypass the address pin)."""
    return httpx.AsyncClient(timeout=settings.timeout_seconds, follow_redirects=False, trust_env=False)


async def send(client: httpx.AsyncClient, settings: WebhookSettings, *, url: str, secrets: list[str], msg_id: str,
               body: str) -> Outcome:
    """POST once to the checked address of the URL's host, signed; read the start of the answer.

    Never raises (but for cancellation): whatever stops a send is that attempt's outcome."""
    started = time.perf_counter()

    def elapsed() -> float:
        return round((time.perf_counter() - started) * 1000, 2)
    try:
        async with asyncio.timeout(settings.timeout_seconds):
            target = ssrf.parse(url, settings.destinations)
            addresses = await ssrf.resolve(target, settings.destinations)
            return await _post(client, target, addresses, secrets, msg_id, body, elapsed)
    except ssrf.UnsafeDestination as exc:
        return Outcome(ok=False, error=f"destination refused: {exc}"[:500])
    except TimeoutError:
        return Outcome(ok=False, latency_ms=elapsed(), error=f"no answer within {settings.timeout_seconds:g} s")
    except Exception as exc:  # noqa: BLE001 - an attempt that cannot be made is a failed attempt, never a crash
        return Outcome(ok=False, latency_ms=elapsed(), error=f"{type(exc).__name__}: {exc}"[:500])


async def _post(client: httpx.AsyncClient, target: httpx.URL, addresses: list[str], secrets: list[str], msg_id: str,
                body: str, elapsed: Any) -> Outcome:
    host = target.raw_host.decode("ascii")
    headers = {"content-type": "application/json", "user-agent": "talentkit-webhooks/1.0",
               "host": host if target.port is None else f"{host}:{target.port}",
               **signing.headers(secrets, msg_id, int(time.time()), body)}
    extensions = {"sni_hostname": host} if target.scheme == "https" else {}
    for i, ip in enumerate(addresses):  # the checked addresses in turn, pinned: no second lookup to rebind
        try:
            async with client.stream("POST", target.copy_with(host=ip), content=body.encode(), headers=headers,
                                     extensions=extensions) as resp:
                raw = b""
                async for chunk in resp.aiter_bytes():
                    raw += chunk
                    if len(raw) >= EXCERPT_BYTES:
                        break
            return Outcome(ok=200 <= resp.status_code < 300, response_status=resp.status_code, latency_ms=elapsed(),
                           excerpt=raw[:EXCERPT_BYTES].decode(errors="replace"),
                           retry_after=parse_retry_after(resp.headers.get("retry-after"), datetime.now(UTC)))
        except httpx.ConnectError:
            if i == len(addresses) - 1:
                raise
    raise AssertionError("unreachable: resolve returns at least one address")
