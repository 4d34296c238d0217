"""`/v1/pushes`: the pushes of prospects to ATS jobs, and the outcome the sync gateway reports."""
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from crm.pushes import service
from crm.pushes.schemas import PushOutcomeIn, PushRead

router = APIRouter(prefix="/v1/pushes", tags=["Prospects"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER


@router.get("", response_model=Page[PushRead], summary="List pushes to ATS jobs")
async def list_pushes(ctx: Reader, uow: UoW, paging: PageQuery, prospect_id: uuid.UUID | None = None,
                      status: Literal["requested", "succeeded", "failed"] | None = None,
                      updated_after: Annotated[datetime | None, Query(description="Only pushes changed after this time.")] = None,
                      ) -> dict[str, Any]:
    """Pushes, oldest first; filter by prospect and status (e.g. `failed` ones to follow up)."""
    return await service.list_pushes(uow=uow, paging=paging, prospect_id=prospect_id, status=status,
                                     updated_after=updated_after)


@router.get("/{push_id}", response_model=PushRead, summary="Get a push", responses={404: {"description": "No such push.", **P}})
async def get_push(push_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The push with its status; `ETag` carries its version."""
    return resource_response(PushRead, await service.get(uow=uow, push_id=push_id))


@router.post("/{push_id}/outcome", response_model=PushRead, summary="Report the outcome of a push (sync gateway)",
             responses={404: {"description": "No such push.", **P},
                        409: {"description": "The push already succeeded and cannot fail afterwards.", **P},
                        422: {"description": "`reason` missing for `failed`, or another field invalid.", **P}})
async def report_outcome(push_id: uuid.UUID, body: PushOutcomeIn, ctx: Writer, uow: UoW,
                         idem: IdempotencyGuard) -> Response:
    """Called by the sync gateway once the ATS answered the push named by `push_id` (the `push_id` of
    `crm.prospect.pushed_to_job.v1`).

    - `{"status": "failed", "code": "job_not_found" | "job_closed" | "ats_refused" | "other", "reason": "..."}`:
      the push becomes `failed`; the prospect's timeline gets `push_failed` with the reason and the recruiter who
      asked for the push (`recipient`) gets a `push_failed` alert (`crm.alert.raised.v1`).
    - `{"status": "succeeded", "application_id": "...", "candidate_id": "..."}`: the push becomes `succeeded`
      (the ATS status `applied` for that job, `POST /v1/prospects/{id}/status-events`, does the same by itself).

    Repeating the same outcome changes nothing (200 with the unchanged push); a `failed` push may still succeed
    later (a replayed attempt got through); a `succeeded` one never fails (409)."""
    async def run() -> Response:
        push = await service.record_outcome(uow=uow, push_id=push_id, outcome=body.model_dump(mode="json"), ctx=ctx)
        return resource_response(PushRead, push)
    return await idem.run(run)
