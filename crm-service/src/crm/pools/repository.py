"""Pool and membership queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.pools.models import Pool, PoolMember


async def get(session: AsyncSession, pool_id: uuid.UUID, *, for_update: bool = False) -> Pool | None:
    stmt = select(Pool).where(Pool.id == pool_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def name_taken(session: AsyncSession, name: str) -> bool:
    return (await session.execute(select(Pool.id).where(Pool.name == name))).first() is not None


async def names(session: AsyncSession) -> dict[str, str]:
    """Pool id (as text) → name."""
    return {str(p.id): p.name for p in (await session.execute(select(Pool))).scalars()}


def listing(*, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Pool)
    return stmt.where(Pool.updated_at > updated_after) if updated_after else stmt


async def member(session: AsyncSession, pool_id: uuid.UUID, prospect_id: uuid.UUID, *,
                 for_update: bool = False) -> PoolMember | None:
    stmt = select(PoolMember).where(PoolMember.pool_id == pool_id, PoolMember.prospect_id == prospect_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def memberships(session: AsyncSession, prospect_id: uuid.UUID, *, for_update: bool = False) -> list[PoolMember]:
    stmt = select(PoolMember).where(PoolMember.prospect_id == prospect_id)
    return list((await session.execute(stmt.with_for_update() if for_update else stmt)).scalars())


def members(pool_id: uuid.UUID, *, stage_id: uuid.UUID | None, updated_after: datetime | None) -> Select[Any]:
    stmt = select(PoolMember).where(PoolMember.pool_id == pool_id)
    if stage_id:
        stmt = stmt.where(PoolMember.stage_id == stage_id)
    return stmt.where(PoolMember.updated_at > updated_after) if updated_after else stmt
