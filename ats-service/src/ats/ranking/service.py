"""Rank and grade a job's active applications: the same inputs always give the same scores and order."""
from __future__ import annotations

import asyncio
import re
import uuid
from functools import lru_cache
from typing import Any

from talentkit.embeddings import embedder
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from ats.jobs import service as jobs
from ats.jobs.models import Job
from ats.ranking import repository
from ats.ranking.schemas import RankedApplication
from ats.ranking.scoring import Applicant, grade

_TAGS = re.compile(r"<[^>]+>")


def job_text(job: Job) -> str:
    """What a resume is compared with: title, description (without HTML) and the skills asked for."""
    req = job.requirements or {}
    skills = [*req.get("must_have_skills", []), *req.get("nice_to_have_skills", [])]
    return "\n".join(p for p in (job.title, _TAGS.sub(" ", job.description or ""), ", ".join(skills)) if p.strip())


@lru_cache(maxsize=256)
def _vector(text: str) -> Any:
    return embedder().embed([text])[0]


async def ranked(*, uow: UnitOfWork, paging: Paging, job_id: uuid.UUID) -> dict[str, Any]:
    """A page of the job's active applications, best score first (ties: earliest application first)."""
    job = await jobs.get(uow=uow, job_id=job_id)
    vector = await asyncio.to_thread(_vector, job_text(job))
    rows = await repository.applicants(uow.session, job.id, vector)
    graded = []
    for row in rows:
        g = grade(job.requirements or {}, Applicant(skills=list(row.skills), years=row.years,
                                                    similarity=row.similarity, location=row.location))
        graded.append(RankedApplication(application_id=row.application_id, candidate_id=row.candidate_id,
                                        applied_at=row.applied_at, score=g.score, grade=g.grade, reasons=g.reasons,
                                        breakdown=g.breakdown))
    graded.sort(key=lambda r: (-r.score, r.applied_at, str(r.application_id)))
    filters = {"job_id": str(job_id)}
    offset = paging.offset(filters)
    return paging.offset_page(graded[offset:offset + paging.limit + 1], offset=offset, filters=filters)
