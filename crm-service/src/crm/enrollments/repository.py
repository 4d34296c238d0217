"""Enrollment queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.enrollments.models import RUNNING, Enrollment, EnrollmentStatus


async def get(session: AsyncSession, enrollment_id: uuid.UUID, *, for_update: bool = False) -> Enrollment | None:
    stmt = select(Enrollment).where(Enrollment.id == enrollment_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def running_for(session: AsyncSession, prospect_id: uuid.UUID, *, for_update: bool = False) -> list[Enrollment]:
    stmt = select(Enrollment).where(Enrollment.prospect_id == prospect_id, Enrollment.status.in_(RUNNING))
    return list((await session.execute(stmt.with_for_update() if for_update else stmt)).scalars())


async def due(session: AsyncSession, now: datetime, limit: int) -> list[Enrollment]:
    """Scheduled or active enrollments whose next step is due, oldest due first, locked (others skip them)."""
    return list((await session.execute(select(Enrollment).where(
        Enrollment.status.in_((EnrollmentStatus.SCHEDULED, EnrollmentStatus.ACTIVE)), Enrollment.next_due_at <= now)
        .order_by(Enrollment.next_due_at).limit(limit).with_for_update(skip_locked=True))).scalars())


def listing(*, sequence_id: uuid.UUID | None, prospect_id: uuid.UUID | None, status: str | None,
            updated_after: datetime | None) -> Select[Any]:
    stmt = select(Enrollment)
    if sequence_id:
        stmt = stmt.where(Enrollment.sequence_id == sequence_id)
    if prospect_id:
        stmt = stmt.where(Enrollment.prospect_id == prospect_id)
    if status:
        stmt = stmt.where(Enrollment.status == status)
    if updated_after:
        stmt = stmt.where(Enrollment.updated_at > updated_after)
    return stmt
