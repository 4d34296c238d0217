"""Application use cases: load under lock, let the aggregate decide (it records its events)."""
from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from ats.applications import repository
from ats.applications.models import (
    Application,
    ApplicationStatus,
    RejectKind,
    RejectReason,
    StageHistory,
)
from ats.background_checks import repository as background_checks
from ats.candidates.service import candidates
from ats.jobs import repository as jobs
from ats.jobs import service as job_service
from ats.jobs.models import Job, JobStatus


async def get(*, uow: UnitOfWork, application_id: uuid.UUID, for_update: bool = False) -> Application:
    """The application, or 404."""
    app = await repository.get(uow.session, application_id, for_update=for_update)
    if app is None:
        raise NotFound(f"No application with id {application_id}.")
    return app


async def referenced(*, uow: UnitOfWork, application_id: uuid.UUID) -> Application:
    """An application named in a request body, locked: unknown is a 422 naming `application_id`."""
    app = await repository.get(uow.session, application_id, for_update=True)
    if app is None:
        raise Unprocessable("No such application.", errors=[field_error("application_id", "unknown application")])
    return app


async def list_applications(*, uow: UnitOfWork, paging: Paging, job_id: uuid.UUID | None,
                            candidate_id: uuid.UUID | None, stage_id: uuid.UUID | None,
                            status: ApplicationStatus | None, updated_after: datetime | None) -> dict[str, Any]:
    """A page of applications, oldest first."""
    filters = {k: str(v) for k, v in (("job_id", job_id), ("candidate_id", candidate_id), ("stage_id", stage_id),
                                      ("status", status)) if v is not None}
    if updated_after:
        filters["updated_after"] = updated_after.isoformat()
    stmt = repository.listing(job_id=job_id, candidate_id=candidate_id, stage_id=stage_id, status=status,
                              updated_after=updated_after)
    return await paging.page(uow.session, stmt, model=Application, filters=filters)


async def stage_history(*, uow: UnitOfWork, application_id: uuid.UUID) -> list[tuple[StageHistory, str | None]]:
    """Every stay of the application in a stage, oldest first, with the stage's name."""
    app = await get(uow=uow, application_id=application_id)
    names = await jobs.stage_names(uow.session, [h.to_stage_id for h in app.history])
    return [(h, names.get(h.to_stage_id)) for h in app.history]


async def create(*, uow: UnitOfWork, job_id: uuid.UUID, candidate_id: uuid.UUID | None,
                 candidate: dict[str, Any] | None, source: str | None, referrer: str | None,
                 ctx: RequestContext, talent_pool_consent: dict[str, Any] | None = None) -> Application:
    """Apply a candidate (existing, or new inline) to an open job (one application per candidate and job)."""
    job = await _job_in_body(uow, job_id)
    if job.status != JobStatus.OPEN:
        raise Conflict(f"The job is {job.status}; applications need an open job.")
    if candidate is not None:
        candidate_id = (await candidates.create(uow=uow, values=candidate, ctx=ctx)).id
    else:
        found = await candidates.repo.get(uow.session, candidate_id)  # type: ignore[arg-type]
        if found is None:
            raise Unprocessable("No such candidate.", errors=[field_error("candidate_id", "unknown candidate")])
        if found.merged_into_id:
            raise Conflict("The candidate was merged into another one; apply that one.", merged_into_id=str(found.merged_into_id))
        await _no_other_application(uow, candidate_id, job_id)  # type: ignore[arg-type]
    app = Application.start(candidate_id=candidate_id, first_stage=job.first_stage(), source=source,  # type: ignore[arg-type]
                            referrer=referrer, actor=ctx.actor, talent_pool_consent=talent_pool_consent)
    if not await repository.insert_unique(uow.session, app):
        await _no_other_application(uow, app.candidate_id, job_id)
    return app


async def move(*, uow: UnitOfWork, application_id: uuid.UUID, from_stage_id: uuid.UUID, to_stage_id: uuid.UUID,
               ctx: RequestContext) -> Application:
    """Move to another stage of the job, from the stage the caller believes it is in."""
    app = await get(uow=uow, application_id=application_id, for_update=True)
    job = await job_service.get(uow=uow, job_id=app.job_id)
    to = job.stage(to_stage_id)
    if to is None:
        raise Unprocessable("Not a stage of this application's job.", errors=[field_error("to_stage_id", "unknown stage for this job")])
    app.move(from_stage_id, to, ctx.actor)
    return app


async def reject(*, uow: UnitOfWork, application_id: uuid.UUID, reason_id: uuid.UUID, notes: str | None,
                 ctx: RequestContext) -> Application:
    """Reject with a typed reason (a withdrawal when the reason says they withdrew)."""
    app = await get(uow=uow, application_id=application_id, for_update=True)
    reason = await repository.reject_reason(uow.session, reason_id)
    if reason is None:
        raise Unprocessable("Unknown reject reason.", errors=[field_error("reject_reason_id", "not in /v1/reject-reasons")])
    app.reject(reason, notes, ctx.actor)
    return app


async def unreject(*, uow: UnitOfWork, application_id: uuid.UUID, ctx: RequestContext) -> Application:
    """Make a rejected or withdrawn application active again."""
    app = await get(uow=uow, application_id=application_id, for_update=True)
    app.unreject(ctx.actor)
    return app


async def hire(*, uow: UnitOfWork, application_id: uuid.UUID, start_date: date | None, override: bool,
               override_reason: str | None, ctx: RequestContext, work_email: str | None = None) -> Application:
    """Hire into the job's hired stage (from an offer stage, after an accepted offer, or with an override)."""
    app = await get(uow=uow, application_id=application_id, for_update=True)
    if hold := next((c for c in await background_checks.of_application(uow.session, app.id) if c.holds_hire()), None):
        raise Conflict("A background check came back `consider`: decide first (engage, or the adverse-action "
                       "process).", background_check_id=str(hold.id), adjudication=hold.adjudication)
    job = await job_service.get(uow=uow, job_id=app.job_id)
    app.hire(job.hired_stage(), start_date=start_date, override=override, override_reason=override_reason,
             work_email=work_email, actor=ctx.actor)
    return app


async def unhire(*, uow: UnitOfWork, application_id: uuid.UUID, ctx: RequestContext) -> Application:
    """Undo a hire: back to the stage it was hired from (else the last stage before `hired`)."""
    app = await get(uow=uow, application_id=application_id, for_update=True)
    job = await job_service.get(uow=uow, job_id=app.job_id)
    back_id = app.stage_before_hire()
    back = job.stage(back_id) if back_id else None
    back = back or next((s for s in sorted(job.stages, key=lambda s: -s.position) if s.kind != "hired"), job.first_stage())
    app.unhire(back, ctx.actor)
    return app


async def transfer(*, uow: UnitOfWork, application_id: uuid.UUID, job_id: uuid.UUID, ctx: RequestContext) -> Application:
    """Move the application to another open job's first stage."""
    session = uow.session
    app = await get(uow=uow, application_id=application_id, for_update=True)
    target = await _job_in_body(uow, job_id)
    if target.status != JobStatus.OPEN:
        raise Conflict(f"The target job is {target.status}; transfers need an open job.")
    await _no_other_application(uow, app.candidate_id, job_id)
    candidate_id = app.candidate_id
    savepoint = await session.begin_nested()  # before the change: begin_nested() flushes what is pending
    app.transfer(target.first_stage(), ctx.actor)
    try:
        await session.flush()
    except IntegrityError:
        await savepoint.rollback()
        session.expunge(app)  # its in-memory transfer lost the race; never flush it again
        await _no_other_application(uow, candidate_id, job_id)
        raise
    await savepoint.commit()
    return app


async def reject_reasons(*, uow: UnitOfWork) -> list[RejectReason]:
    """Every reject reason."""
    return await repository.reject_reasons(uow.session)


async def create_reject_reason(*, uow: UnitOfWork, name: str, kind: RejectKind, ctx: RequestContext) -> RejectReason:
    """Add a reason to the list recruiters pick from (unique name)."""
    if await repository.reject_reason_named(uow.session, name):
        raise Conflict(f"A reject reason named {name!r} exists.")
    reason = RejectReason.define(name, kind)
    uow.session.add(reason)
    await uow.flush()
    return reason


async def _job_in_body(uow: UnitOfWork, job_id: uuid.UUID) -> Job:
    """A job named in a request body: unknown is a 422 naming `job_id` (404 is for the URL's resource)."""
    job = await jobs.get(uow.session, job_id)
    if job is None:
        raise Unprocessable("No such job.", errors=[field_error("job_id", "unknown job")])
    return job


async def _no_other_application(uow: UnitOfWork, candidate_id: uuid.UUID, job_id: uuid.UUID) -> None:
    existing = await repository.existing(uow.session, candidate_id, job_id)
    if existing:
        raise Conflict("The candidate already applied to this job.", existing_application_id=str(existing),
                       existing_application=f"/v1/applications/{existing}")
