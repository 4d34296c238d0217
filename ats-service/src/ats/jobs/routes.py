"""`/v1/jobs`, `/v1/jobs/{id}/stages` and the public job-board feed."""
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.jobs import postings, service
from ats.jobs.models import Job, JobStatus
from ats.jobs.schemas import (
    JobClose,
    JobCreate,
    JobRead,
    JobUpdate,
    StageCreate,
    StageOrder,
    StageRead,
    StageRename,
)

router = APIRouter(prefix="/v1/jobs", tags=["Jobs"])
board = APIRouter(prefix="/v1/job-board", tags=["Job board"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
IfMatch = Annotated[str | None, Header(description="The job's `ETag` from your last read.")]
P = PROBLEM_ANSWER


def _job(job: Job, status_code: int = 200, created: bool = False) -> Response:
    return resource_response(JobRead, job, status_code=status_code, location=f"/v1/jobs/{job.id}" if created else None)


async def _wrap(job: Awaitable[Job], status_code: int = 200, created: bool = False) -> Response:
    return _job(await job, status_code, created)


@router.post("", status_code=201, response_model=JobRead, summary="Create a job",
             responses={422: {"description": "Invalid field.", **P}})
async def create_job(body: JobCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Create a draft job with the default pipeline (Applied, Screen, Interview, Final interview, Offer, Hired).
    Edit its stages, then `POST /v1/jobs/{id}/open` to accept applications."""
    return await idem.run(lambda: _wrap(service.create(uow=uow, values=body.model_dump(mode="json"), ctx=ctx), 201,
                                        created=True))


@router.get("", response_model=Page[JobRead], summary="List jobs")
async def list_jobs(ctx: Reader, uow: UoW, paging: PageQuery,
                    status_: Annotated[JobStatus | None, Query(alias="status", description="draft, open or closed.")] = None,
                    updated_after: Annotated[datetime | None, Query(description="Only jobs changed after this time.")] = None,
                    ) -> dict[str, Any]:
    """Jobs, oldest first, a page at a time; follow `next`."""
    return await service.list_jobs(uow=uow, paging=paging, status=status_, updated_after=updated_after)


@router.get("/{job_id}", response_model=JobRead, summary="Get a job", responses={404: {"description": "No such job.", **P}})
async def get_job(job_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The job with its stages in pipeline order; `ETag` carries its version."""
    return _job(await service.get(uow=uow, job_id=job_id))


@router.patch("/{job_id}", response_model=JobRead, summary="Update a job",
              responses={412: {"description": "Stale `If-Match`.", **P}, 428: {"description": "`If-Match` missing.", **P}})
async def update_job(job_id: uuid.UUID, body: JobUpdate, ctx: Writer, uow: UoW, if_match: IfMatch = None) -> Response:
    """Change job fields (not status: use the actions). Needs `If-Match`."""
    return _job(await service.update(uow=uow, job_id=job_id, values=body.model_dump(mode="json", exclude_unset=True),
                                     if_match=if_match, ctx=ctx))


@router.post("/{job_id}/open", response_model=JobRead, summary="Open a job",
             responses={409: {"description": "Already open.", **P}})
async def open_job(job_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Start accepting applications (from draft, or reopen a closed job). Emits `ats.job.opened.v1`."""
    return await idem.run(lambda: _wrap(service.open_job(uow=uow, job_id=job_id, ctx=ctx)))


@router.post("/{job_id}/reopen", response_model=JobRead, summary="Reopen a closed job",
             responses={409: {"description": "Not closed.", **P}})
async def reopen_job(job_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Open a closed job again. Emits `ats.job.opened.v1` with `reopened: true`."""
    return await idem.run(lambda: _wrap(service.reopen_job(uow=uow, job_id=job_id, ctx=ctx)))


@router.post("/{job_id}/close", response_model=JobRead, summary="Close a job",
             responses={409: {"description": "Not open.", **P}})
async def close_job(job_id: uuid.UUID, body: JobClose, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Stop accepting applications, with a reason. Emits `ats.job.closed.v1`."""
    return await idem.run(lambda: _wrap(service.close_job(uow=uow, job_id=job_id, reason=body.reason, ctx=ctx)))


@router.get("/{job_id}/stages", response_model=list[StageRead], summary="List a job's stages")
async def list_stages(job_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The job's stages in pipeline order; `ETag` is the job's (use it to rename a stage)."""
    job = await service.get(uow=uow, job_id=job_id)
    stages = [StageRead.model_validate(s).model_dump(mode="json") for s in sorted(job.stages, key=lambda s: s.position)]
    return JSONResponse(stages, headers={"ETag": f'"{job.version}"'})


@router.post("/{job_id}/stages", status_code=201, response_model=JobRead, summary="Add a stage",
             responses={409: {"description": "A stage with this name exists.", **P}})
async def add_stage(job_id: uuid.UUID, body: StageCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Insert a stage at `position` (default: before the first stage of a later kind). Returns the job."""
    return await idem.run(lambda: _wrap(service.add_stage(uow=uow, job_id=job_id, name=body.name, kind=body.kind,
                                                          position=body.position, ctx=ctx), 201))


@router.patch("/{job_id}/stages/{stage_id}", response_model=JobRead, summary="Rename a stage",
              responses={412: {"description": "Stale `If-Match` (the job's ETag).", **P}})
async def rename_stage(job_id: uuid.UUID, stage_id: uuid.UUID, body: StageRename, ctx: Writer, uow: UoW,
                       if_match: IfMatch = None) -> Response:
    """Rename a stage. `If-Match` takes the job's `ETag`."""
    return _job(await service.rename_stage(uow=uow, job_id=job_id, stage_id=stage_id, name=body.name,
                                           if_match=if_match, ctx=ctx))


@router.post("/{job_id}/stages/reorder", response_model=JobRead, summary="Reorder stages")
async def reorder_stages(job_id: uuid.UUID, body: StageOrder, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Give every stage id in the new order."""
    return await idem.run(lambda: _wrap(service.reorder_stages(uow=uow, job_id=job_id, stage_ids=body.stage_ids, ctx=ctx)))


@router.delete("/{job_id}/stages/{stage_id}", response_model=JobRead, summary="Remove an unused stage",
               responses={409: {"description": "Applications or interviews are or were in the stage.", **P}})
async def remove_stage(job_id: uuid.UUID, stage_id: uuid.UUID, ctx: Writer, uow: UoW) -> Response:
    """Remove a stage no application has ever been in and no interview is in. Returns the job."""
    return _job(await service.remove_stage(uow=uow, job_id=job_id, stage_id=stage_id, ctx=ctx))


@board.get("/jobs", summary="Public job feed (schema.org JobPosting)", openapi_extra={"security": []})
async def job_board(uow: UoW, request: Request) -> list[dict[str, Any]]:
    """Open jobs as schema.org `JobPosting` JSON-LD objects, for job boards and career sites. No key needed."""
    return await postings.all_open(uow=uow, base_url=str(request.base_url).rstrip("/"))


@board.get("/jobs/{job_id}", summary="One public job posting", openapi_extra={"security": []},
           responses={404: {"description": "No open job with this id.", **P}})
async def job_posting(job_id: uuid.UUID, uow: UoW, request: Request) -> dict[str, Any]:
    """One open job as a schema.org `JobPosting`; 404 once it is closed. No key needed."""
    return await postings.one(uow=uow, job_id=job_id, base_url=str(request.base_url).rstrip("/"))
