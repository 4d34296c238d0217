"""The task worker: claim due tasks, hand each to the performer of its kind, record the outcome. Every outside
call happens between transactions (the claim committed, the outcome in a new one), so no lock is held while
waiting on SMTP or HTTP."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from fastapi import FastAPI
from talentkit import background

from ats.tasks import repository
from ats.tasks.models import Task, TaskStatus

log = logging.getLogger("ats.tasks")
LEASE = timedelta(minutes=5)


class PermanentFailure(Exception):
    """An error no retry can fix (the other side refused the request as invalid): give up at once."""


class Performer(Protocol):
    async def perform(self, app: FastAPI, task: Task) -> None:
        """Do the work; raise to retry (PermanentFailure: never retry)."""

    async def gave_up(self, app: FastAPI, task: Task, error: str) -> None:
        """The task failed for good: record it where people look."""


@dataclass
class TaskRunner:
    app: FastAPI
    performers: dict[str, Performer]

    def _settings(self) -> Any:
        return self.app.state.settings

    async def run_once(self, limit: int = 20) -> int:
        """One pass over the due tasks; returns how many were attempted."""
        now = datetime.now(UTC)  # wall time: tasks are due by the clock they were queued with
        async with self.app.state.uow_factory() as uow:
            tasks = await repository.claim(uow.session, now=now, lease=LEASE, limit=limit)
            await uow.commit()
        for task in tasks:
            await self._attempt(task)
        return len(tasks)

    async def _attempt(self, task: Task) -> None:
        settings, performer = self._settings(), self.performers[task.kind]
        error, retry_at = None, None
        try:
            await performer.perform(self.app, task)
        except Exception as exc:  # noqa: BLE001 - any failure of outside work is retried or recorded
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning("task attempt failed", extra={"task_id": str(task.id), "kind": task.kind, "error": error})
            if not isinstance(exc, PermanentFailure) and task.attempts < settings.task_max_attempts:
                delay = settings.task_retry_base_seconds * 2 ** (task.attempts - 1)
                retry_at = datetime.now(UTC) + timedelta(seconds=delay)
        now = datetime.now(UTC)
        async with self.app.state.uow_factory() as uow:
            status = TaskStatus.DONE if error is None else TaskStatus.FAILED
            await repository.finish(uow.session, task.id, status=status, now=now, error=error, retry_at=retry_at)
            await uow.commit()
        if error is not None and retry_at is None:
            await performer.gave_up(self.app, task, error)


def task_worker(performers: dict[str, Performer]) -> Any:
    """The background loop for `create_service_app(workers=...)`."""
    async def run_tasks(app: FastAPI) -> None:
        runner = TaskRunner(app, performers)
        while True:
            background.raise_if_cancelled()
            try:
                if await runner.run_once():
                    continue
            except Exception:
                log.exception("task pass failed")
            await background.sleep(app.state.settings.tasks_poll_seconds)
    return run_tasks
