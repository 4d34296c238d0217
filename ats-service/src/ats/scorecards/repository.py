"""Scorecard queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.scorecards.models import Scorecard


async def get(session: AsyncSession, scorecard_id: uuid.UUID, *, for_update: bool = False) -> Scorecard | None:
    stmt = select(Scorecard).where(Scorecard.id == scorecard_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def find(session: AsyncSession, interview_id: uuid.UUID, interviewer: str) -> uuid.UUID | None:
    """The id of the interviewer's scorecard for the interview, if any."""
    return (await session.execute(select(Scorecard.id).where(
        Scorecard.interview_id == interview_id, Scorecard.interviewer == interviewer))).scalar()


async def submitters(session: AsyncSession, interview_id: uuid.UUID) -> set[str]:
    """Interviewers who have submitted a scorecard for the interview."""
    return set((await session.execute(select(Scorecard.interviewer).where(Scorecard.interview_id == interview_id))).scalars())


def listing(*, interview_id: uuid.UUID | None, application_id: uuid.UUID | None, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Scorecard)
    if interview_id:
        stmt = stmt.where(Scorecard.interview_id == interview_id)
    if application_id:
        stmt = stmt.where(Scorecard.application_id == application_id)
    if updated_after:
        stmt = stmt.where(Scorecard.updated_at > updated_after)
    return stmt
