"""Background check queries."""
from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import CursorResult, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ats.background_checks.models import BackgroundCheck, ProviderEvent


async def get(session: AsyncSession, check_id: uuid.UUID, *, for_update: bool = False) -> BackgroundCheck | None:
    stmt = select(BackgroundCheck).where(BackgroundCheck.id == check_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def of_application(session: AsyncSession, application_id: uuid.UUID) -> list[BackgroundCheck]:
    return list((await session.execute(select(BackgroundCheck).where(BackgroundCheck.application_id == application_id)
                                       .order_by(BackgroundCheck.created_at))).scalars())


async def by_provider_candidate(session: AsyncSession, provider_candidate_id: str) -> BackgroundCheck | None:
    """The check whose candidate the provider knows by this id, locked."""
    return (await session.execute(select(BackgroundCheck).where(
        BackgroundCheck.provider_candidate_id == provider_candidate_id).with_for_update())).scalar_one_or_none()


async def first_seen(session: AsyncSession, event_id: str) -> bool:
    """Remember a provider event id; False when it was seen before (a replay)."""
    stmt = insert(ProviderEvent).values(event_id=event_id).on_conflict_do_nothing(index_elements=["event_id"])
    return bool(cast(CursorResult[Any], await session.execute(stmt)).rowcount)
