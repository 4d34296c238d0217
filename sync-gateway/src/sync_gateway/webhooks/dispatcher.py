"""The dispatcher: claims due deliveries, sends each in its own task, records the outcome, sleeps until more is due.

Safe with any number of dispatchers on one database: a claim locks rows with SKIP LOCKED and leases them (their
`next_attempt_at` moves past the send), so each attempt is made by one dispatcher; no transaction is open during a
send. Idle, it costs nothing: it waits on LISTEN/NOTIFY (a new or replayed delivery) or the next retry's due time."""
from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
from talentkit import background
from talentkit.uow import UnitOfWorkFactory

from sync_gateway.webhooks import metrics, repository
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.delivery import new_client, send
from sync_gateway.webhooks.wakeup import Wakeup

log = logging.getLogger("sync_gateway.webhooks")
GAUGE_REFRESH_SECONDS = 30.0
BUSY_RECHECK_SECONDS = 1.0  # due work this dispatcher could not take (all slots busy, or held by another)
CLAIM_ROUNDS = 3  # looks past endpoints at their in-flight limit within one claim


@dataclass(frozen=True)
class Job:
    delivery_id: uuid.UUID
    endpoint_id: uuid.UUID
    url: str
    secrets: list[str]
    msg_id: str
    body: str


class Dispatcher:
    """Sends due deliveries, at most `max_in_flight` at once (`max_in_flight_per_endpoint` to one endpoint)."""

    def __init__(self, uows: UnitOfWorkFactory, database_url: str, settings: WebhookSettings) -> None:
        self.uows, self.settings = uows, settings
        self.wakeup = Wakeup(database_url, repository.CHANNEL)
        self.in_flight: dict[asyncio.Task[None], uuid.UUID] = {}
        self.claims = 0  # claim transactions run (an idle dispatcher runs none)
        self.attempts = 0  # sends made by this dispatcher
        self._gauge_at = 0.0

    async def run(self) -> None:
        """Dispatch until cancelled; a failing database is retried, never fatal."""
        async with new_client(self.settings) as client:
            try:
                await self.wakeup.start()
                while True:
                    try:
                        await self.wakeup.wait(await self.dispatch(client))
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("webhook dispatcher failed; retrying")
                        await background.sleep(1)
            finally:
                for task in self.in_flight:
                    task.cancel()  # their leases run out: another dispatcher (or this one, restarted) sends them
                await asyncio.gather(*self.in_flight, return_exceptions=True)
                await self.wakeup.close()

    async def dispatch(self, client: httpx.AsyncClient) -> float:
        """Start sending what is due and fits in the free slots; return how long to sleep before looking again."""
        free = self.settings.max_in_flight - len(self.in_flight)
        if free <= 0:
            return self.settings.idle_seconds  # a finishing send pokes the wakeup
        now = datetime.now(UTC)
        async with self.uows() as uow:
            jobs = await self._claim(uow.session, now, free)
            next_due = await repository.next_due_at(uow.session)
            await self._refresh_gauge(uow.session)
            await uow.commit()
        self.claims += 1
        for job in jobs:
            task = asyncio.create_task(self._deliver(client, job), name=f"webhook-{job.delivery_id}")
            self.in_flight[task] = job.endpoint_id
            task.add_done_callback(self._done)
        if len(jobs) == free:
            return 0  # perhaps more is due
        if next_due is None:
            return self.settings.idle_seconds
        wait = (next_due - datetime.now(UTC)).total_seconds()
        return min(wait if wait > 0 else BUSY_RECHECK_SECONDS, self.settings.idle_seconds)

    async def _claim(self, session: repository.AsyncSession, now: datetime, free: int) -> list[Job]:
        """Lease up to `free` due deliveries, at most `max_in_flight_per_endpoint` in flight per endpoint: rows of
        an endpoint at its limit stay due (for a later look, or another dispatcher)."""
        cap = self.settings.max_in_flight_per_endpoint
        per_endpoint = Counter(self.in_flight.values())
        until = now + timedelta(seconds=self.settings.lease_seconds)
        jobs: list[Job] = []
        for _ in range(CLAIM_ROUNDS):
            full = {e for e, n in per_endpoint.items() if n >= cap}
            rows = await repository.lock_due(session, now=now, limit=free - len(jobs), skip_endpoints=full)
            taken = []
            for d, e in rows:
                if per_endpoint[e.id] < cap:
                    taken.append(d)
                    per_endpoint[e.id] += 1
                    jobs.append(Job(d.id, e.id, e.url, e.signing_secrets(now), d.event_id, d.body))
            repository.lease(taken, until)
            await session.flush()  # leased rows are no longer due: the next round looks past them
            if len(taken) == len(rows) or len(jobs) == free:
                break
        return jobs

    def _done(self, task: asyncio.Task[None]) -> None:
        self.in_flight.pop(task, None)
        if not task.cancelled() and task.exception() is not None:
            log.error("webhook delivery task failed", exc_info=task.exception())
        self.wakeup.poke()

    async def _deliver(self, client: httpx.AsyncClient, job: Job) -> None:
        outcome = await send(client, self.settings, url=job.url, secrets=job.secrets, msg_id=job.msg_id, body=job.body)
        self.attempts += 1
        async with self.uows() as uow:
            session = uow.session
            locked = await repository.lock_for_outcome(session, job.endpoint_id, job.delivery_id)
            if locked is None:
                return  # replayed, or finished meanwhile
            endpoint, delivery = locked
            was_enabled = endpoint.enabled
            session.add(delivery.record_attempt(endpoint, outcome, self.settings, datetime.now(UTC)))
            if was_enabled and not endpoint.enabled:
                await repository.park_pending(session, endpoint.id)
            await uow.commit()
        metrics.attempt(outcome)
        if was_enabled and not endpoint.enabled:
            metrics.endpoint_disabled(endpoint.id, endpoint.url, endpoint.disabled_reason or "")
        elif not outcome.ok:
            log.info("webhook attempt failed", extra={"delivery_id": str(job.delivery_id), "status": outcome.response_status,
                                                       "error": outcome.error, "next_attempt_at": str(delivery.next_attempt_at)})

    async def _refresh_gauge(self, session: repository.AsyncSession) -> None:
        if time.monotonic() - self._gauge_at >= GAUGE_REFRESH_SECONDS:
            metrics.DISABLED_ENDPOINTS.set(await repository.count_disabled(session))
            self._gauge_at = time.monotonic()
