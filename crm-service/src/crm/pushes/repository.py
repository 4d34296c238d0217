"""Push queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.pushes.models import Push, PushStatus


async def get(session: AsyncSession, push_id: uuid.UUID, *, for_update: bool = False) -> Push | None:
    stmt = select(Push).where(Push.id == push_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def pending(session: AsyncSession, prospect_id: uuid.UUID, job_id: uuid.UUID) -> Push | None:
    return (await session.execute(select(Push).where(Push.prospect_id == prospect_id, Push.job_id == job_id,
                                                     Push.status == PushStatus.REQUESTED))).scalar_one_or_none()


async def unfinished(session: AsyncSession, prospect_id: uuid.UUID, job_id: uuid.UUID) -> list[Push]:
    """The prospect's pushes to the job that did not succeed yet, locked."""
    return list((await session.execute(select(Push).where(
        Push.prospect_id == prospect_id, Push.job_id == job_id,
        Push.status.in_((PushStatus.REQUESTED, PushStatus.FAILED))).with_for_update())).scalars())


def listing(*, prospect_id: uuid.UUID | None, status: str | None, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Push)
    if prospect_id:
        stmt = stmt.where(Push.prospect_id == prospect_id)
    if status:
        stmt = stmt.where(Push.status == status)
    return stmt.where(Push.updated_at > updated_after) if updated_after else stmt
