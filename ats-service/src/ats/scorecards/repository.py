"""Scorecard queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from ats.applications.models import Application
from ats.interviews.models import Interview, InterviewStatus
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


def owing_feedback(who: str) -> Select[Any]:
    """Applications where `who` is an interviewer of an interview (not cancelled) they have not submitted for yet."""
    own = aliased(Scorecard)
    return select(Interview.application_id).where(
        Interview.interviewers.contains([who]), Interview.status != InterviewStatus.CANCELLED,
        ~exists().where(own.interview_id == Interview.id, own.interviewer == who))


def visible_to(who: str) -> ColumnElement[bool]:
    """Scorecards `who` may read: their own, and everyone's on applications where they owe no feedback."""
    return or_(Scorecard.interviewer == who, Scorecard.application_id.not_in(owing_feedback(who)))


async def hidden_from(session: AsyncSession, who: str, scorecard_ids: list[uuid.UUID]) -> set[uuid.UUID]:
    """Which of these scorecards `who` may not read yet."""
    if not scorecard_ids:
        return set()
    return set((await session.execute(select(Scorecard.id).where(
        Scorecard.id.in_(scorecard_ids), ~visible_to(who)))).scalars())


def listing(*, interview_id: uuid.UUID | None, application_id: uuid.UUID | None, updated_after: datetime | None,
            reader: str) -> Select[Any]:
    """Scorecards filtered with AND, without those `reader` may not read yet."""
    stmt = select(Scorecard).where(visible_to(reader))
    if interview_id:
        stmt = stmt.where(Scorecard.interview_id == interview_id)
    if application_id:
        stmt = stmt.where(Scorecard.application_id == application_id)
    if updated_after:
        stmt = stmt.where(Scorecard.updated_at > updated_after)
    return stmt


async def erase_free_text(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Blank interviewers' written feedback about the candidate (ratings and recommendations stay)."""
    await session.execute(update(Scorecard).where(Scorecard.application_id.in_(
        select(Application.id).where(Application.candidate_id == candidate_id))).values(notes=None))
