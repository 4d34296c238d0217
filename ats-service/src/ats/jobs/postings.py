"""The public job board: open jobs as schema.org `JobPosting` JSON-LD."""
from __future__ import annotations

import uuid
from typing import Any

from talentkit.errors import NotFound
from talentkit.uow import UnitOfWork

from ats.jobs import repository
from ats.jobs.models import Job, JobStatus

EMPLOYMENT_TYPES = {"full_time": "FULL_TIME", "part_time": "PART_TIME", "contract": "CONTRACTOR", "temporary": "TEMPORARY",
               "internship": "INTERN"}


def _posting(j: Job, base: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org", "@type": "JobPosting", "identifier": str(j.id), "title": j.title,
        "description": j.description or "", "datePosted": j.opened_at.date().isoformat() if j.opened_at else None,
        "employmentType": EMPLOYMENT_TYPES.get(j.employment_type or ""), "industry": j.department,
        "jobLocation": {"@type": "Place", "address": j.location} if j.location else None,
        "totalJobOpenings": j.openings, "url": f"{base}/v1/job-board/jobs/{j.id}",
    }


async def all_open(*, uow: UnitOfWork, base_url: str) -> list[dict[str, Any]]:
    """Every open job's posting, oldest opening first."""
    return [_posting(j, base_url) for j in await repository.open_jobs(uow.session)]


async def one(*, uow: UnitOfWork, job_id: uuid.UUID, base_url: str) -> dict[str, Any]:
    """One open job's posting, or 404 (also once it is closed)."""
    job = await repository.get(uow.session, job_id)
    if job is None or job.status != JobStatus.OPEN:
        raise NotFound("No open job with this id.")
    return _posting(job, base_url)
