"""The resync job runner: claims one job at a time (SKIP LOCKED, so replicas share the queue and never run a
job twice), walks its links in batches, and renews its lease while it works. A job left `running` by a dead
process is taken over once its lease runs out and resumed from its cursor; after `max_claims` takeovers it fails.

No database connection is held across a peer call: each batch is read in one short transaction, re-applied over
HTTP with no transaction open, and its conflicts and progress are written in another."""
from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import Counter
from talentkit import background
from talentkit.consumer import TransientError
from talentkit.uow import UnitOfWork

from sync_gateway.conflicts import repository as conflicts
from sync_gateway.conflicts.models import Conflict
from sync_gateway.links.models import Link
from sync_gateway.policy.store import Policy
from sync_gateway.profiles.service import ProfileSync
from sync_gateway.resync import repository
from sync_gateway.resync.models import ResyncJob

log = logging.getLogger("sync_gateway.resync")
LINKS = Counter("gateway_resync_links_total", "Links handled by resync jobs", ["outcome"])
MAX_ERRORS = 50


class ResyncRunner:
    """Runs queued resync jobs, one at a time per process, `concurrency` links at once."""

    def __init__(self, *, uow_factory: Callable[[], UnitOfWork], profiles: ProfileSync, concurrency: int = 4,
                 batch: int = 25, lease_seconds: float = 30.0, poll_seconds: float = 2.0, max_claims: int = 3,
                 link_attempts: int = 3, retry_seconds: float = 0.5) -> None:
        self.uow_factory, self.profiles = uow_factory, profiles
        self.concurrency, self.batch, self.max_claims = concurrency, batch, max_claims
        self.lease, self.poll_seconds = timedelta(seconds=lease_seconds), poll_seconds
        self.link_attempts, self.retry_seconds = link_attempts, retry_seconds
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = asyncio.Event()

    async def wake(self) -> None:
        """A job was queued here: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Run jobs forever; between jobs wait for a wake-up or the next poll (jobs queued on other replicas)."""
        while True:
            background.raise_if_cancelled()  # job after job, the loop may never reach its wait
            try:
                if await self.run_once():
                    continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("resync runner failed; retrying", extra={"runner": self.name})
            await background.wait_until_set(self._wake, self.poll_seconds)
            self._wake.clear()

    async def run_once(self) -> bool:
        """Claim one job and run it to its end; False when there was none."""
        job = await self._claim()
        if job is None:
            return False
        log.info("resync job started", extra={"job_id": str(job.id), "runner": self.name, "attempt": job.claims})
        try:
            status = await self._walk(job)
        except asyncio.CancelledError:
            raise  # shutting down: the lease runs out and another runner resumes the job
        except Exception as exc:
            log.exception("resync job failed", extra={"job_id": str(job.id)})
            await self._finish(job, "failed", error=f"{type(exc).__name__}: {exc}")
            return True
        if status is not None:
            await self._finish(job, status)
        return True

    async def _claim(self) -> ResyncJob | None:
        while True:
            async with self.uow_factory() as uow:
                job = await repository.claim(uow.session, runner=self.name, lease=self.lease)
                if job is not None and job.claims > self.max_claims:
                    job.status, job.finished_at = "failed", datetime.now(UTC)
                    job.errors = [*job.errors, {"link_id": None,
                                                "error": f"its runner stopped {self.max_claims} times"}][:MAX_ERRORS]
                    await uow.commit()
                    continue
                if job is not None and job.total is None:
                    job.total = await repository.count_links(uow.session, job)
                await uow.commit()
                return job

    async def _walk(self, job: ResyncJob) -> str | None:
        """Every link of the job after its cursor; the final status, or None when the job is no longer ours."""
        cursor, errors = job.cursor, list(job.errors or [])
        semaphore = asyncio.Semaphore(self.concurrency)
        while True:
            async with self.uow_factory() as uow:
                links = await repository.links_after(uow.session, job, cursor, self.batch)
                policy = await self.profiles.policy.current(uow.session)
                await uow.commit()
            if not links:
                return "succeeded"
            keepalive = asyncio.create_task(self._keep_alive(job))
            try:
                results = await asyncio.gather(*(self._one(link, policy, semaphore) for link in links))
            finally:
                keepalive.cancel()
            counts = {"done": 0, "skipped": 0, "failed": 0}
            found: list[Conflict] = []
            for link, (outcome, link_conflicts, error) in zip(links, results, strict=True):
                counts[outcome] += 1
                LINKS.labels(outcome).inc()
                found += link_conflicts
                if error and len(errors) < MAX_ERRORS:
                    errors.append({"link_id": str(link.id), "error": error[:500]})
            cursor, job.errors = links[-1].id, errors
            async with self.uow_factory() as uow:
                logged = await conflicts.record(uow.session, found)
                ours = await repository.report(
                    uow.session, job.id, self.name, cursor=cursor, errors=errors, conflicts=ResyncJob.conflicts + logged,
                    **{name: getattr(ResyncJob, name) + n for name, n in counts.items()})
                await uow.commit()
            if not ours:
                log.info("resync job stopped: cancelled or taken over", extra={"job_id": str(job.id)})
                return None

    async def _one(self, link: Link, policy: Policy, semaphore: asyncio.Semaphore) -> tuple[str, list[Conflict], str | None]:
        """Re-apply one link (HTTP only); transient failures are retried a few times, then counted as failed."""
        async with semaphore:
            for attempt in range(1, self.link_attempts + 1):
                try:
                    outcome, found = await self.profiles.resync(link, policy=policy, causation_id=f"resync-{link.id}")
                    return ("done" if outcome == "resynced" else "skipped"), found, None
                except TransientError as exc:
                    if attempt == self.link_attempts:
                        return "failed", [], f"{type(exc).__name__}: {exc}"
                    await asyncio.sleep(self.retry_seconds * 2 ** (attempt - 1))
                except Exception as exc:  # noqa: BLE001 - one person's refusal must not stop everyone else's
                    return "failed", [], f"{type(exc).__name__}: {exc}"
        raise AssertionError("unreachable")

    async def _keep_alive(self, job: ResyncJob) -> None:
        """Renew the lease while a slow batch is in hand."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            async with self.uow_factory() as uow:
                await repository.report(uow.session, job.id, self.name)
                await uow.commit()

    async def _finish(self, job: ResyncJob, status: str, error: str | None = None) -> None:
        values: dict[str, Any] = {"status": status, "finished_at": datetime.now(UTC)}
        if error:
            values["errors"] = [*(job.errors or []), {"link_id": None, "error": error[:500]}][:MAX_ERRORS]
        async with self.uow_factory() as uow:
            await repository.report(uow.session, job.id, self.name, **values)
            await uow.commit()
        log.info("resync job finished", extra={"job_id": str(job.id), "status": status})
