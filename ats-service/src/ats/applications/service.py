"""Application use cases: load under lock, let the aggregate decide, then event + audit in the same transaction."""
from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error

from ats.applications.models import Application, RejectReason
from ats.audit import service as audit
from ats.candidates.service import candidates
from ats.events import emit
from ats.jobs import service as jobs
from ats.jobs.models import JobStatus


async def get(session: AsyncSession, application_id: uuid.UUID, *, for_update: bool = False) -> Application:
    stmt = select(Application).where(Application.id == application_id)
    app = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if app is None:
        raise NotFound(f"No application with id {application_id}.")
    return app


async def create(session: AsyncSession, *, job_id: uuid.UUID, candidate_id: uuid.UUID | None,
                 candidate: dict[str, Any] | None, source: str | None, referrer: str | None,
                 ctx: RequestContext) -> Application:
    """Apply a candidate to an open job (one application per candidate and job)."""
    job = await _job_in_body(session, job_id)
    if job.status != JobStatus.OPEN:
        raise Conflict(f"The job is {job.status}; applications need an open job.")
    if candidate is not None:
        candidate_id = (await candidates.create(session, candidate, ctx)).id
    else:
        found = await candidates.repo.get(session, candidate_id)  # type: ignore[arg-type]
        if found is None:
            raise Unprocessable("No such candidate.", errors=[field_error("candidate_id", "unknown candidate")])
        if found.merged_into_id:
            raise Conflict("The candidate was merged into another one; apply that one.", merged_into_id=str(found.merged_into_id))
        await _no_other_application(session, candidate_id, job_id)  # type: ignore[arg-type]
    app = Application.start(candidate_id=candidate_id, first_stage=job.first_stage(), source=source,  # type: ignore[arg-type]
                            referrer=referrer, actor=ctx.actor)
    await _insert_unique(session, app)
    await emit(session, ctx, "ats.application.created.v1", aggregate_id=app.id, sequence=app.version,
               data={"application": app.snapshot()})
    await audit.record(session, ctx, "application.created", "application", app.id,
                       {"job_id": {"before": None, "after": str(job_id)}, "candidate_id": {"before": None, "after": str(candidate_id)},
                        "stage_id": {"before": None, "after": str(app.stage_id)}})
    return app


async def referenced(session: AsyncSession, application_id: uuid.UUID) -> Application:
    """An application named in a request body, locked: unknown is a 422 naming `application_id`."""
    try:
        return await get(session, application_id, for_update=True)
    except NotFound:
        raise Unprocessable("No such application.", errors=[field_error("application_id", "unknown application")]) from None


async def _job_in_body(session: AsyncSession, job_id: uuid.UUID) -> Any:
    """A job named in a request body: unknown is a 422 naming `job_id` (404 is for the URL's resource)."""
    try:
        return await jobs.get(session, job_id)
    except NotFound:
        raise Unprocessable("No such job.", errors=[field_error("job_id", "unknown job")]) from None


async def _no_other_application(session: AsyncSession, candidate_id: uuid.UUID, job_id: uuid.UUID) -> None:
    with session.no_autoflush:  # after a failed savepoint, never re-flush the losing change
        existing = (await session.execute(select(Application.id).where(
            Application.candidate_id == candidate_id, Application.job_id == job_id))).scalar()
    if existing:
        raise Conflict("The candidate already applied to this job.", existing_application_id=str(existing),
                       existing_application=f"/v1/applications/{existing}")


async def _insert_unique(session: AsyncSession, app: Application) -> None:
    """Flush inside a savepoint: a concurrent application of the same candidate to the same job (the unique
    constraint) becomes a 409 pointing at the winner, not a server error."""
    try:
        async with session.begin_nested():
            session.add(app)
            await session.flush()
    except IntegrityError:
        await _no_other_application(session, app.candidate_id, app.job_id)
        raise


def _ids(app: Application) -> dict[str, Any]:
    return {"application_id": app.id, "candidate_id": app.candidate_id, "job_id": app.job_id}


async def _done(session: AsyncSession, ctx: RequestContext, app: Application, event_type: str, data: dict[str, Any],
                action: str, changes: dict[str, Any]) -> Application:
    app.bump()
    await session.flush()
    await emit(session, ctx, event_type, aggregate_id=app.id, sequence=app.version, data={**data, "application": app.snapshot()})
    await audit.record(session, ctx, action, "application", app.id, changes)
    return app


async def move(session: AsyncSession, application_id: uuid.UUID, from_stage_id: uuid.UUID, to_stage_id: uuid.UUID,
               ctx: RequestContext) -> Application:
    app = await get(session, application_id, for_update=True)
    job = await jobs.get(session, app.job_id)
    to = job.stage(to_stage_id)
    if to is None:
        raise Unprocessable("Not a stage of this application's job.", errors=[field_error("to_stage_id", "unknown stage for this job")])
    left = app.move(from_stage_id, to, ctx.actor)
    return await _done(session, ctx, app, "ats.application.stage_changed.v1",
                       {**_ids(app), "from_stage": left.ref(), "to_stage": to.ref()}, "application.moved",
                       {"stage": {"before": left.name, "after": to.name}})


async def reject(session: AsyncSession, application_id: uuid.UUID, reason_id: uuid.UUID, notes: str | None,
                 ctx: RequestContext) -> Application:
    app = await get(session, application_id, for_update=True)
    reason = await session.get(RejectReason, reason_id)
    if reason is None:
        raise Unprocessable("Unknown reject reason.", errors=[field_error("reject_reason_id", "not in /v1/reject-reasons")])
    before = app.status
    app.reject(reason, notes, ctx.actor)
    return await _done(session, ctx, app, "ats.application.rejected.v1",
                       {**_ids(app), "reason": {"id": reason.id, "name": reason.name, "kind": reason.kind},
                        "notes": notes, "stage": app.stage.ref()}, "application.rejected",
                       {"status": {"before": before, "after": app.status}, "reject_reason": {"before": None, "after": reason.name},
                        "notes": {"before": None, "after": notes}})


async def unreject(session: AsyncSession, application_id: uuid.UUID, ctx: RequestContext) -> Application:
    app = await get(session, application_id, for_update=True)
    before = app.status
    app.unreject(ctx.actor)
    return await _done(session, ctx, app, "ats.application.unrejected.v1", _ids(app), "application.unrejected",
                       {"status": {"before": before, "after": app.status}})


async def hire(session: AsyncSession, application_id: uuid.UUID, *, start_date: date | None, override: bool,
               override_reason: str | None, ctx: RequestContext) -> Application:
    from ats.offers.repository import has_accepted_offer

    app = await get(session, application_id, for_update=True)
    job = await jobs.get(session, app.job_id)
    accepted = await has_accepted_offer(session, app.id)
    left = app.hire(job.hired_stage(), start_date=start_date, override=override, offer_accepted=accepted, actor=ctx.actor)
    changes: dict[str, Any] = {"status": {"before": "active", "after": "hired"}, "stage": {"before": left.name, "after": app.stage.name},
                               "start_date": {"before": None, "after": start_date}}
    if override:
        changes["hire_override"] = {"before": False, "after": True, "reason": override_reason}
    return await _done(session, ctx, app, "ats.application.hired.v1",
                       {**_ids(app), "start_date": start_date, "override": override, "from_stage": left.ref()},
                       "application.hired", changes)


async def unhire(session: AsyncSession, application_id: uuid.UUID, ctx: RequestContext) -> Application:
    app = await get(session, application_id, for_update=True)
    job = await jobs.get(session, app.job_id)
    back_id = app.stage_before_hire()
    back = job.stage(back_id) if back_id else None
    back = back or next((s for s in sorted(job.stages, key=lambda s: -s.position) if s.kind != "hired"), job.first_stage())
    hired_stage = app.stage
    app.unhire(back, ctx.actor)
    return await _done(session, ctx, app, "ats.application.unhired.v1", _ids(app), "application.unhired",
                       {"status": {"before": "hired", "after": "active"}, "stage": {"before": hired_stage.name, "after": back.name}})


async def transfer(session: AsyncSession, application_id: uuid.UUID, job_id: uuid.UUID, ctx: RequestContext) -> Application:
    app = await get(session, application_id, for_update=True)
    target = await _job_in_body(session, job_id)
    if target.status != JobStatus.OPEN:
        raise Conflict(f"The target job is {target.status}; transfers need an open job.")
    await _no_other_application(session, app.candidate_id, job_id)
    candidate_id = app.candidate_id
    savepoint = await session.begin_nested()  # before the change: begin_nested() flushes what is pending
    old_job, left = app.transfer(target.first_stage(), ctx.actor)
    try:
        await session.flush()
    except IntegrityError:
        await savepoint.rollback()
        session.expunge(app)  # its in-memory transfer lost the race; never flush it again
        await _no_other_application(session, candidate_id, job_id)
        raise
    await savepoint.commit()
    return await _done(session, ctx, app, "ats.application.transferred.v1",
                       {"application_id": app.id, "candidate_id": app.candidate_id, "from_job_id": old_job,
                        "to_job_id": job_id, "from_stage": left.ref(), "to_stage": app.stage.ref()},
                       "application.transferred", {"job_id": {"before": str(old_job), "after": str(job_id)},
                                                   "stage": {"before": left.name, "after": app.stage.name}})


async def create_reject_reason(session: AsyncSession, name: str, kind: str, ctx: RequestContext) -> RejectReason:
    if (await session.execute(select(RejectReason).where(RejectReason.name == name))).scalar():
        raise Conflict(f"A reject reason named {name!r} exists.")
    reason = RejectReason(name=name, kind=kind)
    session.add(reason)
    await session.flush()
    await audit.record(session, ctx, "reject_reason.created", "reject_reason", reason.id, {"name": {"before": None, "after": name}, "kind": {"before": None, "after": kind}})
    return reason
