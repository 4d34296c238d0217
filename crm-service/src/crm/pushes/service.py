"""Push use cases: request one (the prospect's `crm.prospect.pushed_to_job.v1` carries its id), record the outcome the
sync gateway reports, and settle it when the ATS status `applied` for that job arrives."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import Conflict, NotFound

from crm.activities import service as activities
from crm.alerts.service import raise_alert
from crm.pushes.models import FailureCode, Push, PushStatus


async def get(session: AsyncSession, push_id: uuid.UUID, *, for_update: bool = False) -> Push:
    """The push, or 404."""
    stmt = select(Push).where(Push.id == push_id)
    push = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if push is None:
        raise NotFound(f"No push with id {push_id}.")
    return push


def listing(*, prospect_id: uuid.UUID | None, status: str | None, updated_after: datetime | None) -> Any:
    stmt = select(Push)
    if prospect_id:
        stmt = stmt.where(Push.prospect_id == prospect_id)
    if status:
        stmt = stmt.where(Push.status == status)
    if updated_after:
        stmt = stmt.where(Push.updated_at > updated_after)
    return stmt


async def request(session: AsyncSession, *, prospect_id: uuid.UUID, job_id: uuid.UUID, ctx: RequestContext) -> Push:
    """A new push (409 naming the pending one when this prospect is already being pushed to this job)."""
    pending = (await session.execute(select(Push).where(Push.prospect_id == prospect_id, Push.job_id == job_id,
                                                        Push.status == PushStatus.REQUESTED))).scalar_one_or_none()
    if pending is not None:
        raise Conflict("This prospect is already being pushed to this job.", existing_push_id=str(pending.id),
                       headers={"Location": f"/v1/pushes/{pending.id}"})
    principal = ctx.principal
    push = Push.request(prospect_id=prospect_id, job_id=job_id, requested_by=ctx.actor,
                        recipient=principal.on_behalf_of or principal.id, now=datetime.now(UTC))
    session.add(push)
    await session.flush()
    return push


async def record_outcome(session: AsyncSession, *, push_id: uuid.UUID, outcome: dict[str, Any],
                         ctx: RequestContext) -> Push:
    """Apply the reported outcome (repeating it changes nothing). A failure lands on the prospect's timeline and
    raises a `push_failed` alert for the recruiter who asked for the push."""
    push = await get(session, push_id, for_update=True)
    now = datetime.now(UTC)
    if outcome["status"] == PushStatus.SUCCEEDED:
        if push.succeed(application_id=outcome.get("application_id"), candidate_id=outcome.get("candidate_id"), now=now):
            await _succeeded(session, push, ctx)
        return push
    code = str(outcome.get("code") or FailureCode.OTHER)
    if push.fail(code=code, reason=outcome["reason"], now=now):
        if outcome.get("candidate_id"):
            push.candidate_id = outcome["candidate_id"]
        await session.flush()
        await activities.record(session, push.prospect_id, "push_failed", f"Push to ATS job {push.job_id} failed: {push.reason}",
                                data={"push_id": str(push.id), "job_id": str(push.job_id), "code": code}, actor=ctx.actor)
        await raise_alert(session, kind="push_failed", recipient=push.recipient,
                          title=f"A push to ATS job {push.job_id} failed: {push.reason}",
                          data={"push_id": str(push.id), "prospect_id": str(push.prospect_id), "job_id": str(push.job_id),
                                "code": code, "reason": push.reason}, ctx=ctx)
    return push


async def settle_by_application(session: AsyncSession, *, prospect_id: uuid.UUID, job_id: str | None,
                                application_id: str | None, ctx: RequestContext) -> list[Push]:
    """The ATS saw the prospect apply to `job_id`: the unfinished pushes to that job succeeded."""
    try:
        job = uuid.UUID(str(job_id))
    except ValueError:
        return []
    open_pushes = (await session.execute(select(Push).where(
        Push.prospect_id == prospect_id, Push.job_id == job,
        Push.status.in_((PushStatus.REQUESTED, PushStatus.FAILED))).with_for_update())).scalars().all()
    for push in open_pushes:
        push.succeed(application_id=application_id, candidate_id=None, now=datetime.now(UTC))
        await _succeeded(session, push, ctx)
    return list(open_pushes)


async def _succeeded(session: AsyncSession, push: Push, ctx: RequestContext) -> None:
    await session.flush()
    await activities.record(session, push.prospect_id, "push_succeeded", f"Push to ATS job {push.job_id} succeeded",
                            data={"push_id": str(push.id), "job_id": str(push.job_id),
                                  "application_id": push.application_id}, actor=ctx.actor)
