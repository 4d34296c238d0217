"""Saved search queries: the matches recorded in SQL (`INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`), so
the new ones are known without loading every match."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.saved_searches.models import SavedSearch, SavedSearchMatch

MAX_NEW_PER_CHECK = 1000


async def get(session: AsyncSession, saved_id: uuid.UUID, *, for_update: bool = False,
              skip_locked: bool = False) -> SavedSearch | None:
    stmt = select(SavedSearch).where(SavedSearch.id == saved_id)
    if for_update:
        stmt = stmt.with_for_update(skip_locked=skip_locked)
    return (await session.execute(stmt)).scalar_one_or_none()


def listing(*, recipient: str | None) -> Select[Any]:
    stmt = select(SavedSearch)
    return stmt.where(SavedSearch.recipient == recipient) if recipient else stmt


async def with_alerts(session: AsyncSession) -> list[uuid.UUID]:
    return list((await session.execute(select(SavedSearch.id).where(SavedSearch.alerts.is_(True))
                                       .order_by(SavedSearch.checked_at.nulls_first()))).scalars())


async def record_matches(session: AsyncSession, saved_id: uuid.UUID, matching: Select[Any], now: datetime) -> list[uuid.UUID]:
    """Remember every prospect `matching` selects (its first column is the prospect id); return the new ones."""
    ids = matching.limit(MAX_NEW_PER_CHECK).subquery()
    rows = select(literal(saved_id), ids.c.id, literal(now))
    new = insert(SavedSearchMatch).from_select(["saved_search_id", "prospect_id", "matched_at"], rows)
    stmt = new.on_conflict_do_nothing().returning(SavedSearchMatch.prospect_id)
    return list((await session.execute(stmt)).scalars())


async def remove(session: AsyncSession, saved: SavedSearch) -> None:
    await session.execute(delete(SavedSearch).where(SavedSearch.id == saved.id))
