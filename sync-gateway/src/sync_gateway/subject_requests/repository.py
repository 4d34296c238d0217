"""Data-subject request queries, and what the gateway itself holds about a person."""
from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, cast, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.conflicts.models import Conflict
from sync_gateway.links.models import Link
from sync_gateway.operations.models import DeadLetter
from sync_gateway.subject_requests.models import DataSubjectRequest, RequestStatus


async def get(session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False) -> DataSubjectRequest | None:
    stmt = select(DataSubjectRequest).where(DataSubjectRequest.id == request_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


def listing(*, status: str | None, overdue: bool | None, now: datetime) -> Select[Any]:
    stmt = select(DataSubjectRequest)
    if status:
        stmt = stmt.where(DataSubjectRequest.status == status)
    if overdue is not None:
        late = (DataSubjectRequest.status != RequestStatus.COMPLETED) & (DataSubjectRequest.due_at < now)
        stmt = stmt.where(late if overdue else ~late)
    return stmt


async def about_hashes(session: AsyncSession, hashes: list[str]) -> Sequence[DataSubjectRequest]:
    """Every request naming any of these email hashes (locked)."""
    return (await session.execute(select(DataSubjectRequest).where(DataSubjectRequest.email_hashes.overlap(hashes))
                                  .with_for_update())).scalars().all()


async def links_of(session: AsyncSession, ats_ids: list[uuid.UUID], crm_ids: list[uuid.UUID]) -> Sequence[Link]:
    return (await session.execute(select(Link).where(or_(Link.ats_candidate_id.in_(ats_ids),
                                                         Link.crm_prospect_id.in_(crm_ids))))).scalars().all()


async def conflicts_of(session: AsyncSession, link_ids: list[uuid.UUID]) -> Sequence[Conflict]:
    return (await session.execute(select(Conflict).where(Conflict.link_id.in_(link_ids)))).scalars().all()


def _dead_letters_about(person_ids: list[str]) -> Any:
    keys = [p.encode() for p in person_ids]
    values = [func.encode(DeadLetter.value, "escape").like(f"%{p}%") for p in person_ids]
    return or_(DeadLetter.key.in_(keys), *values, *(cast(DeadLetter.headers, Text).like(f"%{p}%") for p in person_ids))


async def dead_letters_about(session: AsyncSession, person_ids: list[str]) -> Sequence[DeadLetter]:
    """Dead letters keyed by, or mentioning, any of these people."""
    if not person_ids:
        return []
    return (await session.execute(select(DeadLetter).where(_dead_letters_about(person_ids)))).scalars().all()


async def forget_dead_letters(session: AsyncSession, person_ids: list[str]) -> None:
    if person_ids:
        await session.execute(delete(DeadLetter).where(_dead_letters_about(person_ids)))
