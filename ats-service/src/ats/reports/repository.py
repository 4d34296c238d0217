"""Stage-history queries behind the reports."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application, ApplicationStatus, StageHistory


async def stages_reached(session: AsyncSession, job_id: uuid.UUID) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(application, stage) for every stay of an application in a stage of the job."""
    return [(r[0], r[1]) for r in (await session.execute(select(StageHistory.application_id, StageHistory.to_stage_id)
                                          .where(StageHistory.job_id == job_id))).all()]


async def current_hires(session: AsyncSession, job_id: uuid.UUID | None) -> list[tuple[uuid.UUID, uuid.UUID, datetime, datetime]]:
    """(application, job, applied_at, hired_at) for each hire still standing, from the history rows of action `hired`."""
    first = (select(StageHistory.application_id, StageHistory.entered_at)
             .where(StageHistory.action == "applied").subquery())
    stmt = (select(StageHistory.application_id, StageHistory.job_id, first.c.entered_at, StageHistory.entered_at)
            .join(first, first.c.application_id == StageHistory.application_id)
            .where(StageHistory.action == "hired", StageHistory.exited_at.is_(None)))
    if job_id:
        stmt = stmt.where(StageHistory.job_id == job_id)
    return [tuple(r) for r in (await session.execute(stmt)).all()]  # type: ignore[misc]


async def by_source(session: AsyncSession, job_id: uuid.UUID | None) -> list[tuple[str | None, int, int]]:
    """(application source, applications, hires) per source."""
    hired = func.count().filter(Application.status == ApplicationStatus.HIRED)
    stmt = select(Application.source, func.count(), hired).group_by(Application.source).order_by(Application.source)
    if job_id:
        stmt = stmt.where(Application.job_id == job_id)
    return [tuple(r) for r in (await session.execute(stmt)).all()]  # type: ignore[misc]
