"""Careers use cases: the posting API, the board and job pages, and an application through the form (a new or
known candidate by email, the resume read by the resumes feature, knock-out answers rejecting with a reason, a
confirmation email)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, NotFound, ProblemError
from talentkit.uow import UnitOfWork

from ats.applications import repository as applications_repo
from ats.applications import service as applications
from ats.applications.models import Application, RejectKind, RejectReason
from ats.careers import repository
from ats.careers.models import CareerApplication, JobPosting
from ats.jobs import repository as jobs
from ats.jobs import service as job_service
from ats.jobs.models import Job, JobStatus
from ats.mail.service import Mail, queue
from ats.resumes import service as resumes

KNOCKOUT_REASON = "Knock-out question"
SOURCE = "career_site"


@dataclass(frozen=True)
class Applicant:
    first_name: str
    last_name: str
    email: str
    phone: str | None
    answers: dict[str, str]
    resume_filename: str
    resume_content_type: str | None  # as the browser declared it; the resumes feature checks it against the bytes
    resume: bytes
    talent_pool_consent: dict[str, Any] | None  # {"given_at", "text_version"}


class ResumeRefused(Exception):
    """The resume could not be read (encrypted, damaged, ...): `reason` is shown next to the form's field."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def get_posting(*, uow: UnitOfWork, job_id: uuid.UUID) -> JobPosting:
    """The job's posting, or 404."""
    await job_service.get(uow=uow, job_id=job_id)
    found = await repository.posting(uow.session, job_id)
    if found is None:
        raise NotFound(f"Job {job_id} has no posting yet (PUT it).")
    return found


async def put_posting(*, uow: UnitOfWork, job_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                      ctx: RequestContext) -> tuple[JobPosting, bool]:
    """Create the posting, or replace it under If-Match; returns it and whether it was created."""
    await job_service.get(uow=uow, job_id=job_id, for_update=True)  # one writer of the posting at a time
    found = await repository.posting(uow.session, job_id, for_update=True)
    if found is None:
        posting = JobPosting.publish(job_id, values, ctx.actor)
        uow.session.add(posting)
        await uow.flush()
        return posting, True
    check_if_match(if_match, found.version)
    found.replace(values, ctx.actor)
    return found, False


async def board(*, uow: UnitOfWork, department: str | None, location: str | None
                ) -> tuple[list[tuple[Job, JobPosting | None]], list[str], list[str]]:
    """Open jobs (filtered) and the filter options."""
    departments, locations = await repository.facets(uow.session)
    return await repository.open_jobs(uow.session, department=department, location=location), departments, locations


async def open_job(*, uow: UnitOfWork, job_id: uuid.UUID, now: datetime) -> tuple[Job, JobPosting | None] | None:
    """An open job still inside its posting's `valid_through`, with its posting; None otherwise."""
    job = await jobs.get(uow.session, job_id)
    if job is None or job.status != JobStatus.OPEN:
        return None
    posting = await repository.posting(uow.session, job_id)
    if posting and posting.valid_through and posting.valid_through <= now:
        return None
    return job, posting


def knockout(questions: list[dict[str, Any]], answers: dict[str, str]) -> dict[str, Any] | None:
    """The first question whose answer is a knock-out answer."""
    return next((q for q in questions if answers.get(q["id"]) in q.get("knockout_answers", [])), None)


async def apply(*, uow: UnitOfWork, job: Job, posting: JobPosting | None, applicant: Applicant, phone_region: str,
                ctx: RequestContext) -> Application | None:
    """The application, or None when this email already applied to the job; ResumeRefused (roll back) when the
    resume cannot be read."""
    known = await repository.live_candidate_with_email(uow.session, applicant.email)
    if known and await applications_repo.existing(uow.session, known.id, job.id):
        return None
    candidate = None if known else {"first_name": applicant.first_name, "last_name": applicant.last_name,
                                    "emails": [applicant.email], "phones": [applicant.phone] if applicant.phone else [],
                                    "source": SOURCE}
    try:
        async with uow.session.begin_nested():
            app = await applications.create(uow=uow, job_id=job.id, candidate_id=known.id if known else None,
                                            candidate=candidate, source=SOURCE, referrer=None, ctx=ctx,
                                            talent_pool_consent=applicant.talent_pool_consent)
    except Conflict as exc:  # the same person applying twice at the same instant: one wins
        if "existing_application_id" in exc.extra:
            return None
        raise
    try:  # parsed, its contact points joining the profile, `ats.resume.parsed.v1`; the same file again is one resume
        resume, _ = await resumes.upload(uow=uow, candidate_id=app.candidate_id, content=applicant.resume,
                                         filename=applicant.resume_filename, declared_type=applicant.resume_content_type,
                                         phone_region=phone_region, ctx=ctx)
    except ProblemError as exc:
        if not any(e.get("field") == "file" for e in exc.errors or []):
            raise
        raise ResumeRefused(exc.detail or "We could not read this file.") from exc
    hit = knockout(posting.questions if posting else [], applicant.answers)
    uow.session.add(CareerApplication(
        application_id=app.id, candidate_id=app.candidate_id, answers=applicant.answers,
        knocked_out_by=hit["id"] if hit else None, resume_id=resume.id,
        talent_pool_consent_at=(applicant.talent_pool_consent or {}).get("given_at"),
        consent_text_version=(applicant.talent_pool_consent or {}).get("text_version")))
    if hit:
        app.reject(await _knockout_reason(uow), f"Knock-out answer to {hit['label']!r}: {applicant.answers[hit['id']]}",
                   ctx.actor)
    await queue(uow, Mail(to=applicant.email, subject=f"Your application: {job.title}", text=(
        f"Hello {applicant.first_name},\n\nthank you for applying for {job.title}. We have your application and "
        "will be in touch.\n")), dedupe_key=f"applied:{app.id}", candidate_id=app.candidate_id)
    return app


async def _knockout_reason(uow: UnitOfWork) -> RejectReason:
    """The reject reason knock-outs use, created the first time (two first times at once: one creates it)."""
    if found := await applications_repo.reject_reason_named(uow.session, KNOCKOUT_REASON):
        return found
    try:
        async with uow.session.begin_nested():
            reason = RejectReason.define(KNOCKOUT_REASON, RejectKind.WE_REJECTED)
            uow.session.add(reason)
            await uow.flush()
        return reason
    except IntegrityError:
        found = await applications_repo.reject_reason_named(uow.session, KNOCKOUT_REASON)
        assert found is not None
        return found
