"""Interviewer queries."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import Range
from sqlalchemy.ext.asyncio import AsyncSession

from ats.interviewers.models import Interviewer
from ats.interviews.models import InterviewerSlot


async def get(session: AsyncSession, interviewer_id: str, *, for_update: bool = False) -> Interviewer | None:
    stmt = select(Interviewer).where(Interviewer.id == interviewer_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def many(session: AsyncSession, ids: list[str]) -> dict[str, Interviewer]:
    rows = (await session.execute(select(Interviewer).where(Interviewer.id.in_(ids)))).scalars()
    return {i.id: i for i in rows}


def listing() -> object:
    return select(Interviewer)


async def booked(session: AsyncSession, ids: list[str], start: datetime, end: datetime) -> dict[str, list[tuple[datetime, datetime]]]:
    """Each interviewer's booked interview time overlapping [start, end)."""
    rows = (await session.execute(select(InterviewerSlot.interviewer, InterviewerSlot.during).where(
        InterviewerSlot.interviewer.in_(ids), InterviewerSlot.during.overlaps(Range(start, end, bounds="[)"))))).all()
    out: dict[str, list[tuple[datetime, datetime]]] = {i: [] for i in ids}
    for who, during in rows:
        assert during.lower is not None and during.upper is not None  # an interview's slot always has both ends
        out[who].append((during.lower, during.upper))
    return out
