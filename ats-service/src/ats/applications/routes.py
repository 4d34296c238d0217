"""`/v1/applications` with its pipeline actions, `/v1/reject-reasons`."""
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.applications import service
from ats.applications.models import Application, ApplicationStatus, RejectReason
from ats.applications.schemas import (
    ApplicationCreate,
    ApplicationRead,
    Hire,
    Move,
    Reject,
    RejectReasonCreate,
    RejectReasonRead,
    StageHistoryRead,
    Transfer,
)

router = APIRouter(prefix="/v1/applications", tags=["Applications"])
reasons = APIRouter(prefix="/v1/reject-reasons", tags=["Reject reasons"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = PROBLEM_ANSWER
ACTION_ERRORS: Responses = {404: {"description": "No such application.", **P},
                 409: {"description": "Not allowed from the application's current state (see `detail`).", **P},
                 422: {"description": "Invalid body.", **P}}


async def _read(coro: Awaitable[Application], status_code: int = 200, created: bool = False) -> Response:
    app = await coro
    return resource_response(ApplicationRead, app, status_code=status_code,
                             location=f"/v1/applications/{app.id}" if created else None)


@router.post("", status_code=201, response_model=ApplicationRead, summary="Create an application",
             responses={409: {"description": "Job not open, or the candidate already applied (see `existing_application`).", **P},
                        422: {"description": "Invalid body or unknown candidate.", **P}})
async def create_application(body: ApplicationCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Put a candidate (existing, or new inline) into an open job's first stage. One application per candidate
    and job: a second one is a 409 whose `existing_application` points at the first."""
    return await idem.run(lambda: _read(service.create(
        uow=uow, job_id=body.job_id, candidate_id=body.candidate_id,
        candidate=body.candidate.model_dump() if body.candidate else None, source=body.source,
        referrer=body.referrer, ctx=ctx), 201, created=True))


@router.get("", response_model=Page[ApplicationRead], summary="List applications")
async def list_applications(ctx: Reader, uow: UoW, paging: PageQuery,
                            job_id: uuid.UUID | None = None, candidate_id: uuid.UUID | None = None,
                            stage_id: uuid.UUID | None = None,
                            status: Annotated[ApplicationStatus | None, Query(description="active, rejected, withdrawn, hired.")] = None,
                            updated_after: datetime | None = None) -> dict[str, Any]:
    """Applications, oldest first, filtered with AND; follow `next`."""
    return await service.list_applications(uow=uow, paging=paging, job_id=job_id, candidate_id=candidate_id,
                                           stage_id=stage_id, status=status, updated_after=updated_after)


@router.get("/{application_id}", response_model=ApplicationRead, summary="Get an application",
            responses={404: {"description": "No such application.", **P}})
async def get_application(application_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The application with its current stage and status."""
    return await _read(service.get(uow=uow, application_id=application_id))


@router.get("/{application_id}/stage-history", response_model=list[StageHistoryRead], summary="Stage history")
async def stage_history(application_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """Every stay in a stage, oldest first: when it entered and left, from which stage, how and by whom."""
    stays = await service.stage_history(uow=uow, application_id=application_id)
    return JSONResponse([StageHistoryRead.model_validate(h).model_copy(update={"to_stage_name": name}).model_dump(mode="json")
                         for h, name in stays])


@router.post("/{application_id}/move", response_model=ApplicationRead, summary="Move to another stage", responses=ACTION_ERRORS)
async def move(application_id: uuid.UUID, body: Move, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Move forward or back within the job. 409 when the application is no longer in `from_stage_id` (someone
    moved it first), when it is not active, or when the target is the hired stage (use /hire)."""
    return await idem.run(lambda: _read(service.move(uow=uow, application_id=application_id, from_stage_id=body.from_stage_id,
                                                      to_stage_id=body.to_stage_id, ctx=ctx)))


@router.post("/{application_id}/reject", response_model=ApplicationRead, summary="Reject", responses=ACTION_ERRORS)
async def reject(application_id: uuid.UUID, body: Reject, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Reject an active application with a typed reason (a `they_withdrew` reason makes it `withdrawn`)."""
    return await idem.run(lambda: _read(service.reject(uow=uow, application_id=application_id,
                                                        reason_id=body.reject_reason_id, notes=body.notes, ctx=ctx)))


@router.post("/{application_id}/unreject", response_model=ApplicationRead, summary="Undo a rejection", responses=ACTION_ERRORS)
async def unreject(application_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Make a rejected or withdrawn application active again, in the stage it was in."""
    return await idem.run(lambda: _read(service.unreject(uow=uow, application_id=application_id, ctx=ctx)))


@router.post("/{application_id}/hire", response_model=ApplicationRead, summary="Hire", responses=ACTION_ERRORS)
async def hire(application_id: uuid.UUID, body: Hire, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Hire: allowed from a stage of kind `offer` or after an accepted offer; otherwise only with `override: true`
    and an `override_reason`, which the audit trail keeps. Moves the application to the job's hired stage and
    queues the hand-off to the HRIS (`hris_status: pending`, then `sent` or `failed`). 409 while a background
    check came back `consider` without an adverse-action decision to engage (`background_check_id`)."""
    return await idem.run(lambda: _read(service.hire(uow=uow, application_id=application_id, start_date=body.start_date,
                                                      override=body.override, override_reason=body.override_reason,
                                                      work_email=str(body.work_email) if body.work_email else None,
                                                      ctx=ctx)))


@router.post("/{application_id}/unhire", response_model=ApplicationRead, summary="Undo a hire", responses=ACTION_ERRORS)
async def unhire(application_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Make a hired application active again, back in the stage it was hired from."""
    return await idem.run(lambda: _read(service.unhire(uow=uow, application_id=application_id, ctx=ctx)))


@router.post("/{application_id}/transfer", response_model=ApplicationRead, summary="Transfer to another job", responses=ACTION_ERRORS)
async def transfer(application_id: uuid.UUID, body: Transfer, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Move the application to another open job's first stage (409 if the candidate already applied there)."""
    return await idem.run(lambda: _read(service.transfer(uow=uow, application_id=application_id, job_id=body.job_id, ctx=ctx)))


@reasons.get("", response_model=list[RejectReasonRead], summary="List reject reasons")
async def list_reject_reasons(ctx: Reader, uow: UoW) -> list[RejectReason]:
    """Every reject reason with its kind: we_rejected, they_withdrew or none_specified."""
    return await service.reject_reasons(uow=uow)


@reasons.post("", status_code=201, response_model=RejectReasonRead, summary="Add a reject reason",
              responses={409: {"description": "The name exists.", **P}})
async def create_reject_reason(body: RejectReasonCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Add a reason to the list recruiters pick from."""
    async def run() -> Response:
        return resource_response(RejectReasonRead, await service.create_reject_reason(
            uow=uow, name=body.name, kind=body.kind, ctx=ctx), status_code=201)
    return await idem.run(run)
