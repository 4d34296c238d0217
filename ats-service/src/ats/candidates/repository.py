"""Candidate queries beyond the shared profile's (`candidates.repo`)."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.candidates.models import Candidate


async def merged_into(session: AsyncSession, survivor_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of every duplicate folded into the candidate."""
    return list((await session.execute(select(Candidate.id).where(Candidate.merged_into_id == survivor_id))).scalars())
