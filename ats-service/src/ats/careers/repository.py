"""Careers queries."""
from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.candidates.models import Candidate
from ats.careers.models import CareerApplication, JobPosting
from ats.jobs.models import Job, JobStatus


async def posting(session: AsyncSession, job_id: uuid.UUID, *, for_update: bool = False) -> JobPosting | None:
    stmt = select(JobPosting).where(JobPosting.job_id == job_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def open_jobs(session: AsyncSession, *, department: str | None, location: str | None) -> list[tuple[Job, JobPosting | None]]:
    """Open jobs with their postings, newest first, filtered by department and location (exact, as offered)."""
    stmt = select(Job, JobPosting).outerjoin(JobPosting, JobPosting.job_id == Job.id).where(Job.status == JobStatus.OPEN)
    if department:
        stmt = stmt.where(Job.department == department)
    if location:
        stmt = stmt.where(Job.location == location)
    return [(j, p) for j, p in (await session.execute(stmt.order_by(Job.opened_at.desc(), Job.id))).all()]


async def facets(session: AsyncSession) -> tuple[list[str], list[str]]:
    """The departments and locations of open jobs, for the board's filters."""
    rows = (await session.execute(select(Job.department, Job.location).where(Job.status == JobStatus.OPEN))).all()
    return sorted({d for d, _ in rows if d}), sorted({loc for _, loc in rows if loc})


async def live_candidate_with_email(session: AsyncSession, email: str) -> Candidate | None:
    """A candidate (not merged away, not erased) with this email."""
    return (await session.execute(select(Candidate).where(
        Candidate.emails.contains([email.strip().lower()]), Candidate.merged_into_id.is_(None),
        Candidate.erased_at.is_(None)).order_by(Candidate.created_at).limit(1))).scalar_one_or_none()


async def forget_candidate(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Erasure: the form data (answers, resume, consent) of the candidate's applications goes."""
    await session.execute(delete(CareerApplication).where(CareerApplication.candidate_id == candidate_id))
