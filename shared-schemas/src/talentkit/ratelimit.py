"""One rate limit shared by every replica, cheap on the request path.

A bucket (an API key, a client IP) has a budget of `limit` hits per window, counted in PostgreSQL
(`rate_limit_buckets`). Each process leases a slice of the budget (a tenth of the limit, at least one) with one
`INSERT … ON CONFLICT DO UPDATE … RETURNING` and spends it locally, so the steady state costs no round trip; a
window starts at a bucket's first hit. Budget leased by a replica that then goes quiet is lost for that window, so
all replicas together admit at most `limit` per window, and at least `limit - replicas × slice`."""
from __future__ import annotations

import asyncio
import math
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from sqlalchemy import Table, text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from talentkit.errors import ProblemError

LEASE_FRACTION = 0.1
MAX_BUCKETS = 10_000  # per process; the least recently used bucket's lease is forgotten first
CLEANUP_EVERY = 1000  # leases; then buckets whose window ended an hour ago are deleted
SCOPE_KEY = "talentkit.rate_limit"  # where the request's verdict waits for the response headers

_LEASE = """
WITH ask AS (SELECT CAST(:want AS integer) AS want, CAST(:limit AS integer) AS lim, CAST(:window AS float8) AS secs)
INSERT INTO {t} AS b (bucket, window_ends_at, used, granted)
SELECT :bucket, now() + make_interval(secs => ask.secs), LEAST(ask.want, ask.lim), LEAST(ask.want, ask.lim) FROM ask
ON CONFLICT (bucket) DO UPDATE SET
  window_ends_at = CASE WHEN b.window_ends_at <= now() THEN EXCLUDED.window_ends_at ELSE b.window_ends_at END,
  used = CASE WHEN b.window_ends_at <= now() THEN EXCLUDED.used
              ELSE b.used + LEAST((SELECT want FROM ask), GREATEST((SELECT lim FROM ask) - b.used, 0)) END,
  granted = CASE WHEN b.window_ends_at <= now() THEN EXCLUDED.granted
                 ELSE LEAST((SELECT want FROM ask), GREATEST((SELECT lim FROM ask) - b.used, 0)) END
RETURNING used, granted, extract(epoch FROM window_ends_at)::float8 AS ends_at
"""


class TooManyRequests(ProblemError):
    status, title, slug = 429, "Too many requests", "rate-limited"


@dataclass(frozen=True)
class Verdict:
    """One hit's outcome and what to announce: the limit, what is left, seconds until the window resets."""

    allowed: bool
    limit: int
    remaining: int
    reset: int
    window: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        out = [(b"ratelimit-limit", str(self.limit).encode()), (b"ratelimit-remaining", str(self.remaining).encode()),
               (b"ratelimit-reset", str(self.reset).encode()),
               (b"ratelimit-policy", f"{self.limit};w={self.window}".encode())]
        if not self.allowed:
            out.append((b"retry-after", str(max(1, self.reset)).encode()))
        return out


@dataclass
class _Lease:
    ends_at: float = 0.0  # epoch seconds: when the bucket's current window ends
    left: int = 0  # hits leased by this process and not yet spent
    unleased: int = 0  # the budget nobody has leased yet, as of our last lease
    exhausted: bool = False  # the last lease got nothing: refuse until the window ends
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SharedRateLimiter:
    """Per-process front of the shared buckets: `hit(bucket, limit)` spends one hit of the bucket's window."""

    def __init__(self, engine: AsyncEngine, table: Table, *, window: int = 60) -> None:
        self.engine, self.window = engine, window
        self._sql = text(_LEASE.format(t=table.name))
        self._cleanup = text(f"DELETE FROM {table.name} WHERE window_ends_at < now() - interval '1 hour'")
        self._leases: OrderedDict[str, _Lease] = OrderedDict()
        self._leased = 0

    async def hit(self, bucket: str, limit: int, cost: int = 1) -> Verdict:
        """Spend `cost` hits (all or none); a lease from PostgreSQL only when this process has too few left."""
        lease = self._leases.get(bucket)
        if lease is None:
            lease = self._leases[bucket] = _Lease()
            if len(self._leases) > MAX_BUCKETS:
                self._leases.popitem(last=False)
        else:
            self._leases.move_to_end(bucket)
        if self._needs_lease(lease, time.time(), cost):
            async with lease.lock:
                if self._needs_lease(lease, time.time(), cost):  # another request may have leased while we waited
                    await self._lease(lease, bucket, limit, cost)
        now = time.time()
        reset = max(0, math.ceil(lease.ends_at - now))
        if lease.left >= cost and lease.ends_at > now:
            lease.left -= cost
            return Verdict(True, limit, lease.unleased + lease.left, reset, self.window)
        return Verdict(False, limit, 0, reset, self.window)

    @staticmethod
    def _needs_lease(lease: _Lease, now: float, cost: int) -> bool:
        return lease.ends_at <= now or (lease.left < cost and not lease.exhausted)

    async def _lease(self, lease: _Lease, bucket: str, limit: int, cost: int) -> None:
        held = lease.left if lease.ends_at > time.time() else 0
        want = max(1, int(limit * LEASE_FRACTION), cost - held)
        async with self.engine.begin() as conn:
            row = (await conn.execute(self._sql, {"bucket": bucket, "window": self.window, "want": want,
                                                  "limit": limit})).one()
            self._leased += 1
            if self._leased % CLEANUP_EVERY == 1:
                await conn.execute(self._cleanup)
        if row.ends_at != lease.ends_at:  # a new window: what was left of the old one is gone
            lease.left = 0
        lease.ends_at, lease.left = row.ends_at, lease.left + row.granted
        lease.unleased, lease.exhausted = max(0, limit - row.used), row.granted == 0


class RateLimitHeaders:
    """Pure ASGI middleware: adds the request's rate-limit verdict (if any) as `RateLimit-*` response headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start" and (verdict := scope.get(SCOPE_KEY)) is not None:
                present = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in verdict.headers() if k not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
