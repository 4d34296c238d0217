"""What rank-and-grade reads of a job's active applications: resume skills, years and the best similarity of a
resume to the job, computed in SQL with pgvector."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application, ApplicationStatus
from ats.candidates.models import Candidate
from ats.resumes.models import Resume
from ats.search.models import CandidateSearch


async def applicants(session: AsyncSession, job_id: uuid.UUID, job_vector: Any) -> list[Any]:
    """One row per active application: ids, applied_at, location, skills, years, similarity (None: no resume)."""
    live = (Resume.candidate_id == Application.candidate_id) & Resume.erased_at.is_(None)
    years = select(func.max(Resume.years_of_experience)).where(live).scalar_subquery()
    similarity = select(func.max(1 - Resume.embedding.cosine_distance(job_vector))).where(
        live, Resume.embedding.is_not(None)).scalar_subquery()
    stmt = (select(Application.id.label("application_id"), Application.candidate_id, Application.applied_at,
                   Candidate.location, func.coalesce(CandidateSearch.skills, []).label("skills"),
                   years.label("years"), similarity.label("similarity"))
            .join(Candidate, Candidate.id == Application.candidate_id)
            .outerjoin(CandidateSearch, CandidateSearch.candidate_id == Application.candidate_id)
            .where(Application.job_id == job_id, Application.status == ApplicationStatus.ACTIVE))
    return list((await session.execute(stmt)).all())
