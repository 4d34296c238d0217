"""Sequence queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.sequences.models import Sequence, SequenceVersion


async def get(session: AsyncSession, sequence_id: uuid.UUID, *, for_update: bool = False) -> Sequence | None:
    stmt = select(Sequence).where(Sequence.id == sequence_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def version_of(session: AsyncSession, sequence_id: uuid.UUID, number: int) -> SequenceVersion:
    return (await session.execute(select(SequenceVersion).where(
        SequenceVersion.sequence_id == sequence_id, SequenceVersion.number == number))).scalar_one()


def listing(*, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Sequence)
    return stmt.where(Sequence.updated_at > updated_after) if updated_after else stmt
