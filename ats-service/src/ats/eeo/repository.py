"""EEO queries: responses by application, and what the report needs."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application, StageHistory
from ats.eeo.models import EeoResponse
from ats.jobs.models import JobStage


async def get(session: AsyncSession, response_id: uuid.UUID, *, for_update: bool = False) -> EeoResponse | None:
    stmt = select(EeoResponse).where(EeoResponse.id == response_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def of_application(session: AsyncSession, application_id: uuid.UUID) -> EeoResponse | None:
    return (await session.execute(select(EeoResponse).where(EeoResponse.application_id == application_id))).scalar_one_or_none()


def listing(*, application_id: uuid.UUID | None, job_id: uuid.UUID | None) -> Select[Any]:
    stmt = select(EeoResponse)
    if application_id:
        stmt = stmt.where(EeoResponse.application_id == application_id)
    if job_id:
        stmt = stmt.where(EeoResponse.application_id.in_(select(Application.id).where(Application.job_id == job_id)))
    return stmt


async def report_rows(session: AsyncSession, job_id: uuid.UUID, applied_from: datetime | None,
                      applied_to: datetime | None) -> list[Any]:
    """Per application of the job applied in the period: the furthest stage position reached and its answers
    (null when it has none)."""
    furthest = (select(StageHistory.application_id, func.max(JobStage.position).label("furthest"))
                .join(JobStage, JobStage.id == StageHistory.to_stage_id)
                .where(StageHistory.job_id == job_id).group_by(StageHistory.application_id).subquery())
    stmt = (select(Application.id, furthest.c.furthest, EeoResponse)
            .join(furthest, furthest.c.application_id == Application.id)
            .outerjoin(EeoResponse, EeoResponse.application_id == Application.id)
            .where(Application.job_id == job_id))
    if applied_from:
        stmt = stmt.where(Application.applied_at >= applied_from)
    if applied_to:
        stmt = stmt.where(Application.applied_at < applied_to)
    return list((await session.execute(stmt)).all())
