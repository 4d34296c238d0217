"""What happens to a prospect outside the CRM: the ATS saw them apply or get hired (told by the sync gateway),
or a recruiter pushed them to an ATS job (the gateway acts on the event and reports the push's outcome)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.prospects.schemas import StatusKind
from crm.prospects.service import prospects
from crm.pushes import service as pushes
from crm.pushes.models import Push
from crm.reactions import enrollments_ended_now


async def record_ats_status(*, uow: UnitOfWork, prospect_id: uuid.UUID, kind: StatusKind, job_id: str | None,
                            application_id: str | None, occurred_at: datetime | None, detail: str | None,
                            ctx: RequestContext) -> dict[str, Any]:
    """Record an ATS status on the timeline. `applied` and `hired` move the prospect's pool stages, end its
    nurture and settle a push to that job (handlers of `crm.prospect.ats_status.internal`); `hired` also marks it
    hired (excluded from future enrollments)."""
    prospect = await prospects.writable(uow.session, prospect_id)
    await activities.record(uow=uow, prospect_id=prospect_id, kind=kind.value,
                            summary=f"{kind.value.capitalize()} in the ATS" + (f" (job {job_id})" if job_id else ""),
                            data={"job_id": job_id, "application_id": application_id, "detail": detail},
                            actor=ctx.principal.id, at=occurred_at)
    prospect.ats_status(kind=kind.value, job_id=job_id, application_id=application_id)
    if kind == StatusKind.HIRED and prospect.status != "hired":
        await prospects.update(uow=uow, id=prospect_id, values={"status": "hired"}, if_match="*", ctx=ctx)
    exited = await enrollments_ended_now(uow, prospect_id, ctx)
    return {"prospect_id": prospect_id, "kind": kind, "enrollments_exited": exited, "status": prospect.status}


async def push_to_job(*, uow: UnitOfWork, prospect_id: uuid.UUID, job_id: uuid.UUID, ctx: RequestContext) -> Push:
    """Ask for the prospect to be considered for an ATS job; the gateway creates the candidate and application and
    reports a failure on the returned push."""
    prospect = await prospects.writable(uow.session, prospect_id)
    prospect.ensure_pushable()
    push = await pushes.request(uow=uow, prospect_id=prospect.id, job_id=job_id, ctx=ctx)
    prospect.request_push(job_id=job_id, push_id=push.id, requested_by=ctx.on_behalf_of or ctx.actor)
    await activities.record(uow=uow, prospect_id=prospect_id, kind="pushed_to_job", summary=f"Pushed to ATS job {job_id}",
                            actor=ctx.principal.id, data={"job_id": str(job_id), "push_id": str(push.id)})
    return push
