"""Retention queries: policies, runs, and the facts the rules need about every candidate still holding data."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application
from ats.candidates.models import Candidate
from ats.jobs.models import Job
from ats.retention.models import RetentionPolicy, RetentionRun
from ats.retention.rules import ApplicationFacts, JobPlace


async def policies(session: AsyncSession) -> list[RetentionPolicy]:
    return list((await session.execute(select(RetentionPolicy).order_by(RetentionPolicy.created_at))).scalars())


async def policy(session: AsyncSession, policy_id: uuid.UUID, *, for_update: bool = False) -> RetentionPolicy | None:
    stmt = select(RetentionPolicy).where(RetentionPolicy.id == policy_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


def policy_listing() -> Select[Any]:
    return select(RetentionPolicy)


def run_listing() -> Select[Any]:
    return select(RetentionRun)


async def run(session: AsyncSession, run_id: uuid.UUID) -> RetentionRun | None:
    return await session.get(RetentionRun, run_id)


async def candidates_with_data(session: AsyncSession) -> list[tuple[uuid.UUID, Any, bool, list[ApplicationFacts]]]:
    """(candidate id, created_at, minimised, application facts) of every candidate not erased or merged."""
    people = (await session.execute(select(Candidate.id, Candidate.created_at, Candidate.minimised_at).where(
        Candidate.erased_at.is_(None), Candidate.merged_into_id.is_(None)))).all()
    apps = (await session.execute(
        select(Application.candidate_id, Application.status, Application.rejected_at, Application.hired_at,
               Application.hris_status, Application.hris_synced_at, Job.location, Job.jurisdiction, Job.closed_at).join(Job, Job.id == Application.job_id)
        .where(Application.candidate_id.in_(select(Candidate.id).where(Candidate.erased_at.is_(None)))))).all()
    facts: dict[uuid.UUID, list[ApplicationFacts]] = {}
    for a in apps:
        facts.setdefault(a.candidate_id, []).append(ApplicationFacts(
            status=str(a.status), rejected_at=a.rejected_at, hired_at=a.hired_at,
            job=JobPlace(a.location, a.jurisdiction, a.closed_at),
            hris_status=str(a.hris_status) if a.hris_status else None, hris_synced_at=a.hris_synced_at))
    return [(p.id, p.created_at, p.minimised_at is not None, facts.get(p.id, [])) for p in people]
