"""Application and reject-reason queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application, ApplicationStatus, RejectReason


async def get(session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False) -> Application | None:
    stmt = select(Application).where(Application.id == application_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


def listing(*, job_id: uuid.UUID | None, candidate_id: uuid.UUID | None, stage_id: uuid.UUID | None,
            status: ApplicationStatus | None, updated_after: datetime | None) -> Select[Any]:
    """Applications filtered with AND."""
    stmt = select(Application)
    for column, value in ((Application.job_id, job_id), (Application.candidate_id, candidate_id),
                          (Application.stage_id, stage_id), (Application.status, status)):
        if value is not None:
            stmt = stmt.where(column == value)
    if updated_after:
        stmt = stmt.where(Application.updated_at > updated_after)
    return stmt


async def of_candidates(session: AsyncSession, candidate_ids: list[uuid.UUID]) -> list[Application]:
    """Every application of these candidates, locked."""
    return list((await session.execute(select(Application).where(Application.candidate_id.in_(candidate_ids))
                                       .with_for_update())).scalars())


async def existing(session: AsyncSession, candidate_id: uuid.UUID, job_id: uuid.UUID) -> uuid.UUID | None:
    """The id of the candidate's application to the job, if any."""
    with session.no_autoflush:  # after a failed savepoint, never re-flush the losing change
        return (await session.execute(select(Application.id).where(
            Application.candidate_id == candidate_id, Application.job_id == job_id))).scalar()


async def insert_unique(session: AsyncSession, app: Application) -> bool:
    """Insert inside a savepoint; False when the candidate already has an application to the job (the unique
    constraint: a concurrent one won)."""
    try:
        async with session.begin_nested():
            session.add(app)
            await session.flush()
    except IntegrityError:
        if await existing(session, app.candidate_id, app.job_id):
            return False
        raise
    return True


async def reject_reason(session: AsyncSession, reason_id: uuid.UUID) -> RejectReason | None:
    return await session.get(RejectReason, reason_id)


async def reject_reason_named(session: AsyncSession, name: str) -> RejectReason | None:
    return (await session.execute(select(RejectReason).where(RejectReason.name == name))).scalar()


async def reject_reasons(session: AsyncSession) -> list[RejectReason]:
    return list((await session.execute(select(RejectReason).order_by(RejectReason.created_at, RejectReason.name))).scalars())


async def erase_free_text(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Blank what was written about the candidate on their applications (rejection notes, who referred them)."""
    await session.execute(update(Application).where(Application.candidate_id == candidate_id)
                          .values(reject_notes=None, referrer=None))
