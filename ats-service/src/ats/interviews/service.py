"""Interview use cases: lock, let the aggregate decide (it records its events), hold or free the interviewers'
slots, all in the request's unit of work."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.errors import NotFound, Unprocessable, field_error
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from ats.applications import service as applications
from ats.interviews import repository
from ats.interviews.models import Interview, InterviewStatus
from ats.jobs import repository as jobs


async def get(*, uow: UnitOfWork, interview_id: uuid.UUID, for_update: bool = False) -> Interview:
    """The interview, or 404."""
    interview = await repository.get(uow.session, interview_id, for_update=for_update)
    if interview is None:
        raise NotFound(f"No interview with id {interview_id}.")
    return interview


async def list_interviews(*, uow: UnitOfWork, paging: Paging, application_id: uuid.UUID | None, interviewer: str | None,
                          status: InterviewStatus | None, updated_after: datetime | None) -> dict[str, Any]:
    """A page of interviews, oldest first."""
    stmt = repository.listing(application_id=application_id, interviewer=interviewer, status=status, updated_after=updated_after)
    return await paging.page(uow.session, stmt, model=Interview, filters={
        "application_id": str(application_id) if application_id else None, "interviewer": interviewer,
        "status": status.value if status else None, "updated_after": updated_after.isoformat() if updated_after else None})


async def schedule(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext) -> Interview:
    """Schedule an interview of an active application; every interviewer must be free then."""
    app = await applications.referenced(uow=uow, application_id=values["application_id"])
    stage = await jobs.stage(uow.session, values["stage_id"])
    if stage is None:
        raise Unprocessable("No such stage.", errors=[field_error("stage_id", "unknown stage")])
    interview = Interview.schedule(application=app, stage=stage, starts_at=values["starts_at"], ends_at=values["ends_at"],
                                   timezone=values["timezone"], interviewers=values["interviewers"],
                                   location=values.get("location"), video_link=values.get("video_link"), actor=ctx.actor)
    uow.session.add(interview)
    await uow.flush()
    await repository.book(uow.session, interview)
    return interview


async def reschedule(*, uow: UnitOfWork, interview_id: uuid.UUID, starts_at: datetime, ends_at: datetime,
                     timezone: str | None, ctx: RequestContext) -> Interview:
    """New times for the same interviewers, who must be free then (the interview's own old slot aside)."""
    interview = await get(uow=uow, interview_id=interview_id, for_update=True)
    interview.reschedule(starts_at, ends_at, timezone, ctx.actor)
    await uow.flush()
    await repository.release(uow.session, interview.id)
    await repository.book(uow.session, interview)
    return interview


async def cancel(*, uow: UnitOfWork, interview_id: uuid.UUID, reason: str, ctx: RequestContext) -> Interview:
    """Cancel; the interviewers are free again at that time."""
    interview = await get(uow=uow, interview_id=interview_id, for_update=True)
    interview.cancel(reason, ctx.actor)
    await uow.flush()
    await repository.release(uow.session, interview.id)
    return interview
