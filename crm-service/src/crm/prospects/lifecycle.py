"""What happens to a prospect outside the CRM: the ATS saw them apply or get hired (told by the sync gateway),
or a recruiter pushed them to an ATS job (the gateway acts on the event)."""
from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import Conflict

from crm.activities import service as activities
from crm.events import emit
from crm.pools import service as pools
from crm.prospects.models import Prospect
from crm.prospects.service import prospects


class StatusKind(StrEnum):
    APPLIED = "applied"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


async def _exit_enrollments(session: AsyncSession, prospect_id: uuid.UUID, reason: str, ctx: RequestContext) -> int:
    from crm.enrollments.service import exit_all  # noqa: PLC0415 - enrollments depend on prospects

    return len(await exit_all(session, prospect_id, reason, ctx))


async def status_event(session: AsyncSession, prospect_id: uuid.UUID, kind: StatusKind, *, job_id: str | None,
                       application_id: str | None, occurred_at: datetime | None, detail: str | None,
                       ctx: RequestContext) -> dict[str, Any]:
    """Record an ATS status: `applied` moves the prospect to the `applied` stage of its pools and ends its
    nurture; `hired` marks it hired (excluded from future enrollments) and ends every enrollment."""
    prospect = await prospects.get(session, prospect_id, for_update=True)
    data = {"job_id": job_id, "application_id": application_id, "detail": detail}
    await activities.record(session, prospect_id, kind.value, f"{kind.value.capitalize()} in the ATS" + (f" (job {job_id})" if job_id else ""),
                            data=data, actor=ctx.principal.id, at=occurred_at)
    exited = 0
    if kind in (StatusKind.APPLIED, StatusKind.HIRED):
        for m in await pools.memberships(session, prospect_id):
            await pools.place(session, m.pool_id, prospect_id, kind.value, ctx)
        exited = await _exit_enrollments(session, prospect_id, kind.value, ctx)
    if kind == StatusKind.HIRED and prospect.status != "hired":
        await prospects.update(session, prospect_id, {"status": "hired"}, if_match="*", ctx=ctx)
    return {"prospect_id": prospect_id, "kind": kind, "enrollments_exited": exited, "status": prospect.status}


async def push_to_job(session: AsyncSession, prospect_id: uuid.UUID, job_id: uuid.UUID, ctx: RequestContext) -> Prospect:
    """Ask for the prospect to be considered for an ATS job; the gateway creates the candidate and application."""
    prospect = await prospects.get(session, prospect_id, for_update=True)
    if prospect.status == "excluded":
        raise Conflict("The prospect is excluded.")
    if not prospect.emails:
        raise Conflict("The prospect needs an email address before it can be pushed to the ATS.")
    prospect.version += 1  # a push is a change of the prospect: its event gets the next sequence
    await session.flush()
    await emit(session, ctx, "crm.prospect.pushed_to_job.v1", aggregate_id=prospect.id, sequence=prospect.version,
               data={"prospect_id": prospect.id, "job_id": job_id, "requested_by": ctx.on_behalf_of or ctx.actor, "prospect": prospect.snapshot()})
    await activities.record(session, prospect_id, "pushed_to_job", f"Pushed to ATS job {job_id}", actor=ctx.principal.id,
                            data={"job_id": str(job_id)})
    return prospect
