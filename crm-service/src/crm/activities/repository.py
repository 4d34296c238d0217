"""Timeline queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import Principal

from crm.activities.models import Activity


def timeline(prospect_id: uuid.UUID, reader: Principal, *, kind: str | None, after: datetime | None) -> Select[Any]:
    """The prospect's entries the reader may see (private notes only for their author; everything for the admin)."""
    stmt = select(Activity).where(Activity.prospect_id == prospect_id)
    if not reader.has("*"):
        stmt = stmt.where(or_(Activity.visibility == "public", Activity.actor == reader.id))
    if kind:
        stmt = stmt.where(Activity.kind == kind)
    if after:
        stmt = stmt.where(Activity.occurred_at > after)
    return stmt


async def kinds_since(session: AsyncSession, prospect_id: uuid.UUID, kinds: tuple[str, ...], since: datetime,
                      until: datetime) -> list[tuple[str, datetime]]:
    """(kind, occurred_at) of the prospect's entries of `kinds` in [since, until]."""
    rows = (await session.execute(select(Activity.kind, Activity.occurred_at).where(
        Activity.prospect_id == prospect_id, Activity.kind.in_(kinds), Activity.occurred_at >= since,
        Activity.occurred_at <= until))).all()
    return [(k, at) for k, at in rows]


async def stage_changes(session: AsyncSession, pool_id: uuid.UUID | None) -> list[Activity]:
    """Every `stage_changed` entry (of one pool), per prospect in time order."""
    stmt = select(Activity).where(Activity.kind == "stage_changed").order_by(Activity.prospect_id, Activity.occurred_at)
    if pool_id:
        stmt = stmt.where(Activity.data["pool_id"].astext == str(pool_id))
    return list((await session.execute(stmt)).scalars())


async def blank(session: AsyncSession, prospect_id: uuid.UUID) -> None:
    """Erasure: every entry keeps its kind and time, loses its contents."""
    await session.execute(update(Activity).where(Activity.prospect_id == prospect_id).values(summary="[erased]", data={}))


async def move(session: AsyncSession, from_id: uuid.UUID, to_id: uuid.UUID) -> None:
    """A merge: the duplicate's timeline becomes the survivor's."""
    await session.execute(update(Activity).where(Activity.prospect_id == from_id).values(prospect_id=to_id))
