"""Interview use cases: lock, let the aggregate decide, hold or free the interviewers' slots, then event + audit,
all in the request's transaction."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import NotFound, Unprocessable, field_error

from ats.applications import service as applications
from ats.audit import service as audit
from ats.events import emit
from ats.interviews import repository
from ats.interviews.models import Interview
from ats.jobs.models import JobStage


async def get(session: AsyncSession, interview_id: uuid.UUID, *, for_update: bool = False) -> Interview:
    """The interview, or 404."""
    interview = await repository.get(session, interview_id, for_update=for_update)
    if interview is None:
        raise NotFound(f"No interview with id {interview_id}.")
    return interview


async def schedule(session: AsyncSession, values: dict[str, Any], ctx: RequestContext) -> Interview:
    app = await applications.referenced(session, values["application_id"])
    stage = await session.get(JobStage, values["stage_id"])
    if stage is None:
        raise Unprocessable("No such stage.", errors=[field_error("stage_id", "unknown stage")])
    interview = Interview.schedule(application=app, stage=stage, starts_at=values["starts_at"], ends_at=values["ends_at"],
                                   timezone=values["timezone"], interviewers=values["interviewers"],
                                   location=values.get("location"), video_link=values.get("video_link"), actor=ctx.actor)
    session.add(interview)
    await session.flush()
    await repository.book(session, interview)
    await emit(session, ctx, "ats.interview.scheduled.v1", aggregate_id=interview.id, sequence=interview.version,
               data={"interview": interview.snapshot()})
    await audit.record(session, ctx, "interview.scheduled", "interview", interview.id,
                       {k: {"before": None, "after": v} for k, v in values.items()})
    return interview


async def reschedule(session: AsyncSession, interview_id: uuid.UUID, values: dict[str, Any], ctx: RequestContext) -> Interview:
    interview = await get(session, interview_id, for_update=True)
    before_zone = interview.timezone
    prev_start, prev_end = interview.reschedule(values["starts_at"], values["ends_at"], values.get("timezone"), ctx.actor)
    await session.flush()
    await repository.release(session, interview.id)
    await repository.book(session, interview)
    await emit(session, ctx, "ats.interview.rescheduled.v1", aggregate_id=interview.id, sequence=interview.version,
               data={"interview": interview.snapshot(), "previous_starts_at": prev_start, "previous_ends_at": prev_end})
    await audit.record(session, ctx, "interview.rescheduled", "interview", interview.id, {
        "starts_at": {"before": prev_start, "after": interview.starts_at},
        "ends_at": {"before": prev_end, "after": interview.ends_at},
        "timezone": {"before": before_zone, "after": interview.timezone}})
    return interview


async def cancel(session: AsyncSession, interview_id: uuid.UUID, reason: str, ctx: RequestContext) -> Interview:
    interview = await get(session, interview_id, for_update=True)
    before = interview.current_status
    interview.cancel(reason, ctx.actor)
    await session.flush()
    await repository.release(session, interview.id)
    await emit(session, ctx, "ats.interview.cancelled.v1", aggregate_id=interview.id, sequence=interview.version,
               data={"interview": interview.snapshot(), "reason": reason})
    await audit.record(session, ctx, "interview.cancelled", "interview", interview.id,
                       {"status": {"before": before, "after": interview.status},
                        "cancel_reason": {"before": None, "after": reason}})
    return interview
