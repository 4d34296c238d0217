"""`/v1/sequences/{id}/enrollments` and `/v1/enrollments` with `/pause`, `/resume`, `/exit`."""
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from crm.enrollments import service
from crm.enrollments.models import Enrollment
from crm.enrollments.schemas import EnrollmentCreate, EnrollmentExit, EnrollmentRead
from crm.sequences.clock import clock_of

router = APIRouter(tags=["Enrollments"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER
ACTION_ERRORS: Responses = {404: {"description": "No such enrollment.", **P},
                 409: {"description": "Not allowed from the current status (`enrollment_status`).", **P}}


async def _out(coro: Awaitable[Enrollment], status_code: int = 200, created: bool = False) -> Response:
    e = await coro
    return resource_response(EnrollmentRead, e, status_code=status_code, location=f"/v1/enrollments/{e.id}" if created else None)


@router.post("/v1/sequences/{sequence_id}/enrollments", status_code=201, response_model=EnrollmentRead,
             summary="Enroll a prospect",
             responses={404: {"description": "No such sequence.", **P},
                        409: {"description": "The prospect already has a running enrollment (`existing_enrollment_id`), "
                                             "is hired or excluded, or was merged (`merged_into_id`).", **P},
                        410: {"description": "The prospect was erased.", **P},
                        422: {"description": "Unknown prospect or invalid time zone.", **P}})
async def enroll(sequence_id: uuid.UUID, body: EnrollmentCreate, request: Request, ctx: Writer, uow: UoW,
                 idem: IdempotencyGuard) -> Response:
    """Start the prospect on the sequence's current version (it keeps that version). One running enrollment per
    prospect. Emits `crm.enrollment.started.v1`."""
    now = clock_of(request.app).now()
    return await idem.run(lambda: _out(service.enroll(
        uow=uow, sequence_id=sequence_id, prospect_id=body.prospect_id, timezone=body.timezone, variables=body.variables,
        ctx=ctx, now=now), 201, created=True))


@router.get("/v1/enrollments", response_model=Page[EnrollmentRead], summary="List enrollments")
async def list_enrollments(ctx: Reader, uow: UoW, paging: PageQuery,
                           sequence_id: uuid.UUID | None = None, prospect_id: uuid.UUID | None = None,
                           status: Literal["scheduled", "active", "paused", "completed", "exited"] | None = None,
                           updated_after: Annotated[datetime | None, Query(description="Only enrollments changed after this time.")] = None,
                           ) -> dict[str, Any]:
    """Enrollments, oldest first, filtered with AND; follow `next`."""
    return await service.list_enrollments(uow=uow, paging=paging, sequence_id=sequence_id, prospect_id=prospect_id,
                                          status=status, updated_after=updated_after)


@router.get("/v1/enrollments/{enrollment_id}", response_model=EnrollmentRead, summary="Get an enrollment",
            responses={404: {"description": "No such enrollment.", **P}})
async def get_enrollment(enrollment_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The enrollment; `ETag` carries its version."""
    return await _out(service.get(uow=uow, enrollment_id=enrollment_id))


@router.post("/v1/enrollments/{enrollment_id}/pause", response_model=EnrollmentRead, summary="Pause", responses=ACTION_ERRORS)
async def pause(enrollment_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """scheduled|active → paused: nothing is sent until `/resume`."""
    return await idem.run(lambda: _out(service.pause(uow=uow, enrollment_id=enrollment_id, ctx=ctx)))


@router.post("/v1/enrollments/{enrollment_id}/resume", response_model=EnrollmentRead, summary="Resume", responses=ACTION_ERRORS)
async def resume(enrollment_id: uuid.UUID, request: Request, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """paused → active: the pending step goes out in the next open send window."""
    now = clock_of(request.app).now()
    return await idem.run(lambda: _out(service.resume(uow=uow, enrollment_id=enrollment_id, ctx=ctx, now=now)))


@router.post("/v1/enrollments/{enrollment_id}/exit", response_model=EnrollmentRead, summary="Exit", responses=ACTION_ERRORS)
async def exit_enrollment(enrollment_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard,
                          body: EnrollmentExit | None = None) -> Response:
    """Any running state → exited with reason `manual`. Emits `crm.enrollment.exited.v1`."""
    return await idem.run(lambda: _out(service.exit_manually(uow=uow, enrollment_id=enrollment_id,
                                                             reason=body.reason if body else None, ctx=ctx)))
