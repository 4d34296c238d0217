"""Work history queries."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.work_history.models import Position


async def positions_of(session: AsyncSession, prospect_id: uuid.UUID) -> list[Position]:
    """The prospect's positions, latest start first."""
    stmt = select(Position).where(Position.prospect_id == prospect_id).order_by(Position.started_on.desc(), Position.id)
    return list((await session.execute(stmt)).scalars())


async def replace(session: AsyncSession, prospect_id: uuid.UUID, positions: list[dict[str, Any]]) -> None:
    """Store `positions` as the prospect's whole work history."""
    await forget(session, prospect_id)
    session.add_all([Position(prospect_id=prospect_id, **p) for p in positions])
    await session.flush()


async def forget(session: AsyncSession, prospect_id: uuid.UUID) -> None:
    await session.execute(delete(Position).where(Position.prospect_id == prospect_id))


async def move(session: AsyncSession, from_id: uuid.UUID, to_id: uuid.UUID) -> None:
    """The merged prospect's positions go to the survivor, unless the survivor has a work history of its own."""
    kept = exists().where(Position.prospect_id == to_id)
    await session.execute(update(Position).where(Position.prospect_id == from_id, ~kept).values(prospect_id=to_id))
    await forget(session, from_id)
