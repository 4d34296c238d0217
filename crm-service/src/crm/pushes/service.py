"""Push use cases: request one (the prospect's `crm.prospect.pushed_to_job.v1` carries its id), record the outcome the
sync gateway reports, and settle it when the ATS status `applied` for that job arrives."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound
from talentkit.pagination import Paging, iso
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.alerts.service import raise_alert
from crm.pushes import repository
from crm.pushes.models import FailureCode, Push, PushStatus


async def get(*, uow: UnitOfWork, push_id: uuid.UUID, for_update: bool = False) -> Push:
    """The push, or 404."""
    push = await repository.get(uow.session, push_id, for_update=for_update)
    if push is None:
        raise NotFound(f"No push with id {push_id}.")
    return push


async def list_pushes(*, uow: UnitOfWork, paging: Paging, prospect_id: uuid.UUID | None, status: str | None,
                      updated_after: datetime | None) -> dict[str, Any]:
    """A page of pushes, oldest first."""
    stmt = repository.listing(prospect_id=prospect_id, status=status, updated_after=updated_after)
    return await paging.page(uow.session, stmt, created_col=Push.created_at, id_col=Push.id, filters={
        "prospect_id": iso(prospect_id), "status": status, "updated_after": iso(updated_after)})


async def request(*, uow: UnitOfWork, prospect_id: uuid.UUID, job_id: uuid.UUID, ctx: RequestContext) -> Push:
    """A new push (409 naming the pending one when this prospect is already being pushed to this job)."""
    if (pending := await repository.pending(uow.session, prospect_id, job_id)) is not None:
        raise Conflict("This prospect is already being pushed to this job.", existing_push_id=str(pending.id),
                       headers={"Location": f"/v1/pushes/{pending.id}"})
    push = Push.request(prospect_id=prospect_id, job_id=job_id, requested_by=ctx.actor,
                        recipient=ctx.on_behalf_of or ctx.principal.id, now=datetime.now(UTC))
    uow.session.add(push)
    await uow.flush()
    return push


async def record_outcome(*, uow: UnitOfWork, push_id: uuid.UUID, outcome: dict[str, Any], ctx: RequestContext) -> Push:
    """Apply the reported outcome (repeating it changes nothing). A failure lands on the prospect's timeline and
    raises a `push_failed` alert for the recruiter who asked for the push."""
    push = await get(uow=uow, push_id=push_id, for_update=True)
    now = datetime.now(UTC)
    if outcome["status"] == PushStatus.SUCCEEDED:
        if push.succeed(application_id=outcome.get("application_id"), candidate_id=outcome.get("candidate_id"), now=now):
            await _succeeded(uow, push, ctx)
        return push
    code = str(outcome.get("code") or FailureCode.OTHER)
    if push.fail(code=code, reason=outcome["reason"], candidate_id=outcome.get("candidate_id"), now=now):
        await activities.record(uow=uow, prospect_id=push.prospect_id, kind="push_failed",
                                summary=f"Push to ATS job {push.job_id} failed: {push.reason}",
                                data={"push_id": str(push.id), "job_id": str(push.job_id), "code": code}, actor=ctx.actor)
        await raise_alert(uow=uow, kind="push_failed", recipient=push.recipient,
                          title=f"A push to ATS job {push.job_id} failed: {push.reason}",
                          data={"push_id": str(push.id), "prospect_id": str(push.prospect_id), "job_id": str(push.job_id),
                                "code": code, "reason": push.reason})
    return push


async def settle_by_application(*, uow: UnitOfWork, prospect_id: uuid.UUID, job_id: str | None,
                                application_id: str | None, ctx: RequestContext | None) -> list[Push]:
    """The ATS saw the prospect apply to `job_id`: the unfinished pushes to that job succeeded."""
    try:
        job = uuid.UUID(str(job_id))
    except ValueError:
        return []
    settled = await repository.unfinished(uow.session, prospect_id, job)
    for push in settled:
        push.succeed(application_id=application_id, candidate_id=None, now=datetime.now(UTC))
        await _succeeded(uow, push, ctx)
    return settled


async def _succeeded(uow: UnitOfWork, push: Push, ctx: RequestContext | None) -> None:
    await activities.record(uow=uow, prospect_id=push.prospect_id, kind="push_succeeded",
                            summary=f"Push to ATS job {push.job_id} succeeded",
                            data={"push_id": str(push.id), "job_id": str(push.job_id),
                                  "application_id": push.application_id}, actor=ctx.actor if ctx else None)
