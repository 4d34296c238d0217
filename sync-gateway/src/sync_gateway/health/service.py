"""Degraded versus not ready: `/readyz` answers whether this replica can work (PostgreSQL and Kafka reachable);
`/v1/health` answers whether the gateway needs a human. A run of dead letters (at least `threshold` in the last
`window` seconds, counted across replicas) makes it `degraded` and raises an alert once per window (an ERROR log
line with `alert: dead_letters`, `gateway_alerts_total`), but never makes a replica unready: restarting or
unrouting it would not fix the events, and everyone else's still sync."""
from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import ConsumerRecord
from prometheus_client import Counter, Gauge
from talentkit.uow import UnitOfWork, UnitOfWorkFactory

from sync_gateway.health import repository

log = logging.getLogger("sync_gateway.health")
RECENT_DEAD_LETTERS = Gauge("gateway_dead_letters_recent", "Events dead-lettered in the alert window (all replicas)")
ALERTS = Counter("gateway_alerts_total", "Alerts raised", ["alert"])
DeadLetterHook = Callable[[ConsumerRecord, BaseException, int], Awaitable[None]]


class DeadLetterAlarm:
    """Counts recent dead letters and raises the alert when they reach the threshold."""

    def __init__(self, *, threshold: int, window_seconds: float) -> None:
        self.threshold, self.window = threshold, timedelta(seconds=window_seconds)
        self._alerted_at: float | None = None

    async def recent(self, uow: UnitOfWork) -> int:
        """Dead letters in the window; raises the alert when they reach the threshold (at most once a window)."""
        count = await repository.dead_letters_since(uow.session, datetime.now(UTC) - self.window)
        RECENT_DEAD_LETTERS.set(count)
        now = time.monotonic()
        quiet = self._alerted_at is None or now - self._alerted_at >= self.window.total_seconds()
        if count >= self.threshold and quiet:
            self._alerted_at = now
            ALERTS.labels("dead_letters").inc()
            log.error("%d dead letters in the last %s: events are not being applied; see /v1/dead-letters",
                      count, _span(self.window), extra={"alert": "dead_letters", "dead_letters": count})
        return count

    def after(self, store: DeadLetterHook, uow_factory: UnitOfWorkFactory) -> DeadLetterHook:
        """The consumer's dead-letter hook: store the dead letter, then count (and maybe alert)."""
        async def hook(record: ConsumerRecord, error: BaseException, attempts: int) -> None:
            await store(record, error, attempts)
            async with uow_factory() as uow:
                await self.recent(uow)
        return hook


async def report(*, uow: UnitOfWork, alarm: DeadLetterAlarm) -> dict[str, Any]:
    """The health report: `ok` or `degraded`, with each check."""
    recent = await alarm.recent(uow)
    degraded = recent >= alarm.threshold
    jobs = await repository.active_resync_jobs(uow.session)
    checks = {
        "dead_letters": {"status": "degraded" if degraded else "ok", "recent": recent,
                         "window_seconds": int(alarm.window.total_seconds()), "threshold": alarm.threshold,
                         "open": await repository.open_dead_letters(uow.session),
                         "detail": f"{recent} dead letters in the last {_span(alarm.window)}"},
        "resync_jobs": {"status": "ok", **jobs},
    }
    return {"status": "degraded" if degraded else "ok", "checks": checks}


def _span(window: timedelta) -> str:
    seconds = int(window.total_seconds())
    return f"{seconds // 60} min" if seconds % 60 == 0 else f"{seconds} s"
