"""`/v1/interviews`: schedule, list, reschedule, cancel."""
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.interviews import service
from ats.interviews.models import Interview, InterviewStatus
from ats.interviews.schemas import (
    InterviewCancel,
    InterviewCreate,
    InterviewRead,
    InterviewReschedule,
)

router = APIRouter(prefix="/v1/interviews", tags=["Interviews"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = PROBLEM_ANSWER
CLASH = {"description": "An interviewer is already booked then: see `clashing_interview_id` and `interviewer`.", **P}


async def _read(coro: Awaitable[Interview], status_code: int = 200, created: bool = False) -> Response:
    interview = await coro
    return resource_response(InterviewRead, interview, status_code=status_code,
                             location=f"/v1/interviews/{interview.id}" if created else None)


@router.post("", status_code=201, response_model=InterviewRead, summary="Schedule an interview",
             responses={409: {"description": "The application is not active, or an interviewer is double-booked "
                                             "(`clashing_interview_id`, `interviewer`).", **P},
                        422: {"description": "Invalid body, unknown application, or a stage of another job.", **P}})
async def schedule_interview(body: InterviewCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Schedule an interview for an active application. Every interviewer must be free for the whole time: if one
    already has an overlapping interview, the answer is 409 with `clashing_interview_id` and `interviewer` (this
    holds even for two requests at the same instant). Back-to-back interviews are fine. Emits
    `ats.interview.scheduled.v1`."""
    values = body.model_dump(mode="python")
    values["video_link"] = str(body.video_link) if body.video_link else None
    return await idem.run(lambda: _read(service.schedule(uow=uow, values=values, ctx=ctx), 201, created=True))


@router.get("", response_model=Page[InterviewRead], summary="List interviews")
async def list_interviews(ctx: Reader, uow: UoW, paging: PageQuery,
                          application_id: uuid.UUID | None = None,
                          interviewer: Annotated[str | None, Query(description="One interviewer (case-insensitive).")] = None,
                          status: Annotated[InterviewStatus | None, Query(description="scheduled, awaiting_feedback, complete or cancelled.")] = None,
                          updated_after: Annotated[datetime | None, Query(description="Only interviews changed after this time.")] = None,
                          ) -> dict[str, Any]:
    """Interviews, oldest first, filtered with AND; follow `next`. An interview that has ended without feedback
    counts as `awaiting_feedback` (its `updated_at` does not change when that happens)."""
    return await service.list_interviews(uow=uow, paging=paging, application_id=application_id, interviewer=interviewer,
                                         status=status, updated_after=updated_after)


@router.get("/{interview_id}", response_model=InterviewRead, summary="Get an interview",
            responses={404: {"description": "No such interview.", **P}})
async def get_interview(interview_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The interview; `ETag` carries its version."""
    return await _read(service.get(uow=uow, interview_id=interview_id))


@router.post("/{interview_id}/reschedule", response_model=InterviewRead, summary="Reschedule an interview",
             responses={404: {"description": "No such interview.", **P}, 409: CLASH | {
                 "description": "An interviewer is booked at the new time (`clashing_interview_id`, `interviewer`), "
                                "or the interview is cancelled, complete or has feedback (`interview_status`)."},
                        422: {"description": "Invalid times or time zone.", **P}})
async def reschedule_interview(interview_id: uuid.UUID, body: InterviewReschedule, ctx: Writer, uow: UoW,
                               idem: IdempotencyGuard) -> Response:
    """Move the interview to new times (optionally a new display `timezone`), with the same interviewers. The same
    double-booking rule applies; the interview's own old slot does not count. Emits `ats.interview.rescheduled.v1`."""
    return await idem.run(lambda: _read(service.reschedule(uow=uow, interview_id=interview_id, starts_at=body.starts_at,
                                                            ends_at=body.ends_at, timezone=body.timezone, ctx=ctx)))


@router.post("/{interview_id}/cancel", response_model=InterviewRead, summary="Cancel an interview",
             responses={404: {"description": "No such interview.", **P},
                        409: {"description": "Already cancelled or complete (`interview_status`).", **P},
                        422: {"description": "`reason` missing.", **P}})
async def cancel_interview(interview_id: uuid.UUID, body: InterviewCancel, ctx: Writer, uow: UoW,
                           idem: IdempotencyGuard) -> Response:
    """Cancel with a reason; the interviewers are free again at that time. Emits `ats.interview.cancelled.v1`."""
    return await idem.run(lambda: _read(service.cancel(uow=uow, interview_id=interview_id, reason=body.reason, ctx=ctx)))
