"""Interview queries, and booking interviewers' slots under the exclusion constraint."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, and_, delete, insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.errors import Conflict, sqlstate

from ats.applications.models import Application
from ats.interviews.models import Interview, InterviewerSlot, InterviewStatus

EXCLUSION_VIOLATION = "23P01"
_TURN = text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))")  # held until commit or rollback


async def get(session: AsyncSession, interview_id: uuid.UUID, *, for_update: bool = False) -> Interview | None:
    stmt = select(Interview).where(Interview.id == interview_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


def listing(*, application_id: uuid.UUID | None, interviewer: str | None, status: InterviewStatus | None,
            updated_after: datetime | None) -> Select[Any]:
    """Interviews filtered with AND; `status` as readers see it (an ended `scheduled` one is `awaiting_feedback`)."""
    stmt = select(Interview)
    if application_id:
        stmt = stmt.where(Interview.application_id == application_id)
    if interviewer:
        stmt = stmt.where(Interview.interviewers.contains([interviewer.strip().lower()]))
    if updated_after:
        stmt = stmt.where(Interview.updated_at > updated_after)
    now = datetime.now(UTC)
    if status == InterviewStatus.SCHEDULED:
        stmt = stmt.where(Interview.status == status, Interview.ends_at > now)
    elif status == InterviewStatus.AWAITING_FEEDBACK:
        stmt = stmt.where(or_(Interview.status == status,
                              and_(Interview.status == InterviewStatus.SCHEDULED, Interview.ends_at <= now)))
    elif status:
        stmt = stmt.where(Interview.status == status)
    return stmt


async def book(session: AsyncSession, interview: Interview) -> None:
    """Hold every interviewer's slot; 409 naming the clashing interview when one is already taken."""
    during = interview.during()
    # Bookings of one interviewer take turns (locks in name order: panels never wait on each other in a cycle).
    # Left to the exclusion constraint alone, two inserts at the same instant can each find the other's row and
    # wait for it, and PostgreSQL aborts one of them as a deadlock instead of reporting the clash.
    for who in sorted(set(interview.interviewers)):
        await session.execute(_TURN, {"k": f"interviewer-slots:{who}"})
    try:
        async with session.begin_nested():  # a savepoint, so the transaction survives to look up the clash
            await session.execute(insert(InterviewerSlot), [
                {"interview_id": interview.id, "interviewer": who, "during": during} for who in interview.interviewers])
    except IntegrityError as exc:
        if sqlstate(exc) != EXCLUSION_VIOLATION:
            raise
        clash = (await session.execute(select(InterviewerSlot.interview_id, InterviewerSlot.interviewer).where(
            InterviewerSlot.interviewer.in_(interview.interviewers), InterviewerSlot.during.overlaps(during),
            InterviewerSlot.interview_id != interview.id).limit(1))).first()
        clashing_id, holder = (str(clash[0]), clash[1]) if clash else (None, None)
        raise Conflict(f"{holder or 'An interviewer'} already has an interview at that time.",
                       clashing_interview_id=clashing_id, interviewer=holder,
                       clashing_interview=f"/v1/interviews/{clashing_id}" if clashing_id else None) from None


async def release(session: AsyncSession, interview_id: uuid.UUID) -> None:
    """Free the interviewers' slots of an interview."""
    await session.execute(delete(InterviewerSlot).where(InterviewerSlot.interview_id == interview_id))


async def erase_free_text(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Blank what was typed about the candidate's interviews (location, video link, why one was cancelled)."""
    await session.execute(update(Interview).where(Interview.application_id.in_(
        select(Application.id).where(Application.candidate_id == candidate_id)))
        .values(location=None, video_link=None, cancel_reason=None))


async def ids_of_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of every interview of the candidate's applications."""
    return list((await session.execute(select(Interview.id).where(Interview.application_id.in_(
        select(Application.id).where(Application.candidate_id == candidate_id))))).scalars())
