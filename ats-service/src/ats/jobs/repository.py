"""Job queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.jobs.models import Job, JobStage, JobStatus


async def get(session: AsyncSession, job_id: uuid.UUID, *, for_update: bool = False) -> Job | None:
    stmt = select(Job).where(Job.id == job_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


def listing(*, status: JobStatus | None, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Job)
    if status:
        stmt = stmt.where(Job.status == status)
    if updated_after:
        stmt = stmt.where(Job.updated_at > updated_after)
    return stmt


async def open_jobs(session: AsyncSession) -> list[Job]:
    """Every open job, in the order they opened."""
    return list((await session.execute(select(Job).where(Job.status == JobStatus.OPEN).order_by(Job.opened_at))).scalars())


async def stage(session: AsyncSession, stage_id: uuid.UUID) -> JobStage | None:
    return await session.get(JobStage, stage_id)


async def stage_names(session: AsyncSession, stage_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Names of these stages, by id."""
    return dict((await session.execute(select(JobStage.id, JobStage.name).where(JobStage.id.in_(stage_ids)))).all())


async def opened_at(session: AsyncSession) -> dict[uuid.UUID, datetime | None]:
    """When each job opened."""
    return dict((await session.execute(select(Job.id, Job.opened_at))).all())
