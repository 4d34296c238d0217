"""Task queries: enqueue once per dedupe key, claim due tasks under a lease (SKIP LOCKED: replicas never claim
the same task), record the outcome."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ats.tasks.models import Task, TaskStatus


async def enqueue(session: AsyncSession, *, kind: str, dedupe_key: str, payload: dict[str, Any], now: datetime,
                  candidate_id: uuid.UUID | None = None) -> bool:
    """Add a task unless one with `dedupe_key` exists; True when added."""
    stmt = insert(Task).values(id=uuid.uuid4(), kind=kind, dedupe_key=dedupe_key, payload=payload,
                               candidate_id=candidate_id, status=TaskStatus.PENDING, attempts=0,
                               next_attempt_at=now).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return bool(cast(CursorResult[Any], await session.execute(stmt)).rowcount)


async def claim(session: AsyncSession, *, now: datetime, lease: timedelta, limit: int) -> list[Task]:
    """Due pending tasks, leased to this worker until `now + lease` (a crashed worker's tasks come back then)."""
    due = (select(Task.id).where(Task.status == TaskStatus.PENDING, Task.next_attempt_at <= now,
                                 (Task.lease_until.is_(None)) | (Task.lease_until <= now))
           .order_by(Task.next_attempt_at).limit(limit).with_for_update(skip_locked=True))
    stmt = (update(Task).where(Task.id.in_(due.scalar_subquery())).values(lease_until=now + lease, attempts=Task.attempts + 1)
            .returning(Task))
    return list((await session.execute(stmt, execution_options={"synchronize_session": False})).scalars())


async def finish(session: AsyncSession, task_id: uuid.UUID, *, status: TaskStatus, now: datetime,
                 error: str | None = None, retry_at: datetime | None = None) -> None:
    """Record an attempt's outcome: done, failed, or pending again at `retry_at`."""
    values: dict[str, Any] = {"lease_until": None, "last_error": error}
    if retry_at is not None:
        values |= {"status": TaskStatus.PENDING, "next_attempt_at": retry_at}
    else:
        values |= {"status": status, "done_at": now}
    await session.execute(update(Task).where(Task.id == task_id).values(**values))


async def by_key(session: AsyncSession, dedupe_key: str, *, for_update: bool = False) -> Task | None:
    stmt = select(Task).where(Task.dedupe_key == dedupe_key)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def of_kind(session: AsyncSession, kind: str, key_prefix: str) -> list[Task]:
    """Tasks of `kind` whose dedupe key starts with `key_prefix`, oldest first."""
    return list((await session.execute(select(Task).where(Task.kind == kind, Task.dedupe_key.startswith(key_prefix))
                                       .order_by(Task.created_at))).scalars())


async def forget_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> int:
    """Delete every task holding the candidate's personal data (erasure); returns how many."""
    deleted = cast(CursorResult[Any], await session.execute(delete(Task).where(Task.candidate_id == candidate_id)))
    return deleted.rowcount or 0


async def cancel_pending(session: AsyncSession, *, kind: str, key_prefix: str) -> None:
    """Cancel the pending tasks of `kind` whose dedupe key starts with `key_prefix`."""
    await session.execute(update(Task).where(Task.kind == kind, Task.dedupe_key.startswith(key_prefix),
                                             Task.status == TaskStatus.PENDING)
                          .values(status=TaskStatus.CANCELLED, lease_until=None))


async def restart(session: AsyncSession, *, kind: str, key_prefix: str, now: datetime) -> None:
    """Give failed tasks of `kind` (dedupe key starting with `key_prefix`) a new attempt budget, due now."""
    await session.execute(update(Task).where(Task.kind == kind, Task.dedupe_key.startswith(key_prefix),
                                             Task.status == TaskStatus.FAILED)
                          .values(status=TaskStatus.PENDING, attempts=0, next_attempt_at=now, lease_until=None,
                                  done_at=None))


async def forget_keyed(session: AsyncSession, key_prefixes: list[str]) -> None:
    """Erasure: delete the tasks whose dedupe key starts with any of these (e.g. every interview invitation of an
    erased candidate's interviews, the interviewers' copies included: they carry the candidate's address)."""
    for prefix in key_prefixes:
        await session.execute(delete(Task).where(Task.dedupe_key.startswith(prefix)))
