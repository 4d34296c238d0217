"""Scheduling invite queries."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.scheduling.models import SchedulingInvite


async def get(session: AsyncSession, invite_id: uuid.UUID, *, for_update: bool = False) -> SchedulingInvite | None:
    stmt = select(SchedulingInvite).where(SchedulingInvite.id == invite_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
