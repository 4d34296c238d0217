"""`POST /v1/resync` and `/v1/resync-jobs`: re-applying the field policy in the background."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.errors import Unprocessable, field_error
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery

from sync_gateway.container import Wiring
from sync_gateway.resync import service
from sync_gateway.resync.schemas import ResyncJobRead, ResyncRequest, Status, job_body

router = APIRouter(tags=["Resync"])
Reader = Annotated[RequestContext, Depends(require("gateway:read"))]
Admin = Annotated[RequestContext, Depends(require("gateway:admin"))]
P = PROBLEM_ANSWER
NO_JOB: Responses = {404: {"description": "No such job.", **P}}


@router.post("/v1/resync", status_code=202, response_model=ResyncJobRead, summary="Re-apply the field policy to existing links",
             responses={409: {"description": "A job for the same links is queued or running: `running_job` is it.", **P},
                        422: {"description": "No links chosen, or ids together with `all` (`errors` names the field).", **P},
                        503: {"description": "The gateway is busy: retry after `Retry-After` seconds.", **P}})
async def request_resync(body: ResyncRequest, ctx: Admin, uow: UoW, idem: IdempotencyGuard, gateway: Wiring) -> Response:
    """Queue a background job that re-applies the current policy, both ways, to the chosen links (e.g. after
    changing a field's mode) and answer at once with the job (`Location`: `/v1/resync-jobs/{id}`); poll it for
    progress, `POST /v1/resync-jobs/{id}/cancel` to stop it. One job at a time per set of links: asking again while
    one is queued or running answers 409 with that job. Send an `Idempotency-Key` to retry safely."""
    if not (body.all or body.ats_candidate_ids or body.crm_prospect_ids):
        raise Unprocessable("Choose links to resync.", errors=[field_error("all", "give ids or all: true")])
    if body.all and (body.ats_candidate_ids or body.crm_prospect_ids):
        raise Unprocessable("`all` resyncs every link: leave the id lists out.",
                            errors=[field_error("all", "all: true takes no ids")])

    async def run() -> Response:
        job = await service.request(uow=uow, all_links=body.all, ats_candidate_ids=body.ats_candidate_ids,
                                    crm_prospect_ids=body.crm_prospect_ids, ctx=ctx)
        uow.after_commit.append(gateway.wake_runner)
        return JSONResponse(job_body(job), status_code=202, headers={"Location": f"/v1/resync-jobs/{job.id}"})
    return await idem.run(run)


@router.get("/v1/resync-jobs", response_model=Page[ResyncJobRead], summary="List resync jobs")
async def list_jobs(ctx: Reader, uow: UoW, pages: PageQuery,
                    status: Annotated[Status | None, Query(description="Only jobs in this status.")] = None) -> dict[str, Any]:
    """Resync jobs, oldest first; `status=running` shows what is running now."""
    return await service.list_jobs(uow=uow, paging=pages, status=status)


@router.get("/v1/resync-jobs/{job_id}", response_model=ResyncJobRead, summary="Get a resync job", responses=NO_JOB)
async def get_job(job_id: uuid.UUID, ctx: Reader, uow: UoW) -> dict[str, Any]:
    """A job's status, progress and first errors."""
    return job_body(await service.get(uow=uow, job_id=job_id))


@router.post("/v1/resync-jobs/{job_id}/cancel", response_model=ResyncJobRead, summary="Cancel a resync job",
             responses={**NO_JOB, 409: {"description": "The job has already finished.", **P}})
async def cancel_job(job_id: uuid.UUID, ctx: Admin, uow: UoW) -> dict[str, Any]:
    """Stop a queued or running job: it becomes `cancelled` at once and its runner stops after the links in hand
    (what was re-applied stays). Its links may then be resynced again."""
    return job_body(await service.cancel(uow=uow, job_id=job_id, ctx=ctx))
