"""Legal hold queries."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application
from ats.candidates.models import Candidate
from ats.holds.models import LegalHold


async def get(session: AsyncSession, hold_id: uuid.UUID, *, for_update: bool = False) -> LegalHold | None:
    stmt = select(LegalHold).where(LegalHold.id == hold_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


def listing(*, candidate_id: uuid.UUID | None, job_id: uuid.UUID | None, active: bool | None) -> Select[Any]:
    stmt = select(LegalHold)
    if candidate_id:
        stmt = stmt.where(LegalHold.candidate_id == candidate_id)
    if job_id:
        stmt = stmt.where(LegalHold.job_id == job_id)
    if active is not None:
        stmt = stmt.where(LegalHold.released_at.is_(None) if active else LegalHold.released_at.is_not(None))
    return stmt


async def blocking(session: AsyncSession, candidate_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[LegalHold]]:
    """Active holds on each candidate, directly or through a job they applied to."""
    if not candidate_ids:
        return {}
    via_jobs = (await session.execute(
        select(Application.candidate_id, LegalHold).join(LegalHold, LegalHold.job_id == Application.job_id)
        .where(Application.candidate_id.in_(candidate_ids), LegalHold.released_at.is_(None)))).all()
    direct = (await session.execute(select(LegalHold).where(
        LegalHold.candidate_id.in_(candidate_ids), LegalHold.released_at.is_(None)))).scalars()
    rows = [*via_jobs, *((h.candidate_id, h) for h in direct if h.candidate_id is not None)]  # in_() left no NULL
    found: dict[uuid.UUID, list[LegalHold]] = {}
    for candidate_id, hold in rows:
        found.setdefault(candidate_id, []).append(hold)
    return found


async def candidate_exists(session: AsyncSession, candidate_id: uuid.UUID) -> bool:
    return (await session.execute(select(Candidate.id).where(Candidate.id == candidate_id))).first() is not None
