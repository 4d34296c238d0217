"""`/v1/jobs`, `/v1/jobs/{id}/stages` and the public job-board feed."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from ats.jobs import service
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
P = {"content": {"application/problem+json": {}}}


def _job(job: Job, status_code: int = 200, created: bool = False) -> Response:
    return resource_response(JobRead, job, status_code=status_code, location=f"/v1/jobs/{job.id}" if created else None)


@router.post("", status_code=201, response_model=JobRead, summary="Create a job",
             responses={422: {"description": "Invalid field.", **P}})
async def create_job(body: JobCreate, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Create a draft job with the default pipeline (Applied, Screen, Interview, Final interview, Offer, Hired).
    Edit its stages, then `POST /v1/jobs/{id}/open` to accept applications."""
    return await idem.run(lambda: _created(session, body, ctx))


async def _created(session: Any, body: JobCreate, ctx: RequestContext) -> Response:
    return _job(await service.create(session, body.model_dump(mode="json"), ctx), 201, created=True)


@router.get("", response_model=Page[JobRead], summary="List jobs")
async def list_jobs(request: Request, response: Response, ctx: Reader, session: Session,
                    status_: Annotated[JobStatus | None, Query(alias="status", description="draft, open or closed.")] = None,
                    updated_after: Annotated[datetime | None, Query(description="Only jobs changed after this time.")] = None,
                    cursor: Annotated[str | None, Query()] = None,
                    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Jobs, oldest first, a page at a time; follow `next`."""
    stmt = select(Job)
    if status_:
        stmt = stmt.where(Job.status == status_)
    if updated_after:
        stmt = stmt.where(Job.updated_at > updated_after)
    filters = {"status": status_.value if status_ else None, "updated_after": updated_after.isoformat() if updated_after else None}
    rows, nxt = await paginate(session, request, response, stmt, created_col=Job.created_at, id_col=Job.id,
                               filters=filters, cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{job_id}", response_model=JobRead, summary="Get a job", responses={404: {"description": "No such job.", **P}})
async def get_job(job_id: uuid.UUID, ctx: Reader, session: Session) -> Response:
    """The job with its stages in pipeline order; `ETag` carries its version."""
    return _job(await service.get(session, job_id))


@router.patch("/{job_id}", response_model=JobRead, summary="Update a job",
              responses={412: {"description": "Stale `If-Match`.", **P}, 428: {"description": "`If-Match` missing.", **P}})
async def update_job(job_id: uuid.UUID, body: JobUpdate, ctx: Writer, session: Session, if_match: IfMatch = None) -> Response:
    """Change job fields (not status: use the actions). Needs `If-Match`."""
    return _job(await service.update(session, job_id, body.model_dump(mode="json", exclude_unset=True), if_match, ctx))


@router.post("/{job_id}/open", response_model=JobRead, summary="Open a job",
             responses={409: {"description": "Already open.", **P}})
async def open_job(job_id: uuid.UUID, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Start accepting applications (from draft, or reopen a closed job). Emits `ats.job.opened.v1`."""
    return await idem.run(lambda: _wrap(service.open_job(session, job_id, ctx)))


@router.post("/{job_id}/reopen", response_model=JobRead, summary="Reopen a closed job",
             responses={409: {"description": "Not closed.", **P}})
async def reopen_job(job_id: uuid.UUID, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Open a closed job again. Emits `ats.job.opened.v1` with `reopened: true`."""
    async def run() -> Response:
        job = await service.get(session, job_id)
        if job.status != JobStatus.CLOSED:
            from talentkit.errors import Conflict
            raise Conflict(f"Only a closed job can be reopened; this one is {job.status}.")
        return _job(await service.open_job(session, job_id, ctx))
    return await idem.run(run)


@router.post("/{job_id}/close", response_model=JobRead, summary="Close a job",
             responses={409: {"description": "Not open.", **P}})
async def close_job(job_id: uuid.UUID, body: JobClose, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Stop accepting applications, with a reason. Emits `ats.job.closed.v1`."""
    return await idem.run(lambda: _wrap(service.close_job(session, job_id, body.reason, ctx)))


async def _wrap(coro: Any, status_code: int = 200) -> Response:
    return _job(await coro, status_code)


@router.get("/{job_id}/stages", response_model=list[StageRead], summary="List a job's stages")
async def list_stages(job_id: uuid.UUID, ctx: Reader, session: Session) -> Response:
    """The job's stages in pipeline order; `ETag` is the job's (use it to rename a stage)."""
    job = await service.get(session, job_id)
    stages = [StageRead.model_validate(s).model_dump(mode="json") for s in sorted(job.stages, key=lambda s: s.position)]
    return JSONResponse(stages, headers={"ETag": f'"{job.version}"'})


@router.post("/{job_id}/stages", status_code=201, response_model=JobRead, summary="Add a stage",
             responses={409: {"description": "A stage with this name exists.", **P}})
async def add_stage(job_id: uuid.UUID, body: StageCreate, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Insert a stage at `position` (default: before the first stage of a later kind). Returns the job."""
    return await idem.run(lambda: _wrap(service.add_stage(session, job_id, body.name, body.kind, body.position, ctx), 201))


@router.patch("/{job_id}/stages/{stage_id}", response_model=JobRead, summary="Rename a stage",
              responses={412: {"description": "Stale `If-Match` (the job's ETag).", **P}})
async def rename_stage(job_id: uuid.UUID, stage_id: uuid.UUID, body: StageRename, ctx: Writer, session: Session,
                       if_match: IfMatch = None) -> Response:
    """Rename a stage. `If-Match` takes the job's `ETag`."""
    return _job(await service.rename_stage(session, job_id, stage_id, body.name, if_match, ctx))


@router.post("/{job_id}/stages/reorder", response_model=JobRead, summary="Reorder stages")
async def reorder_stages(job_id: uuid.UUID, body: StageOrder, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Give every stage id in the new order."""
    return await idem.run(lambda: _wrap(service.reorder_stages(session, job_id, body.stage_ids, ctx)))


@router.delete("/{job_id}/stages/{stage_id}", response_model=JobRead, summary="Remove an unused stage",
               responses={409: {"description": "Applications are or were in the stage.", **P}})
async def remove_stage(job_id: uuid.UUID, stage_id: uuid.UUID, ctx: Writer, session: Session) -> Response:
    """Remove a stage no application has ever been in. Returns the job."""
    return _job(await service.remove_stage(session, job_id, stage_id, ctx))


_EMPLOYMENT = {"full_time": "FULL_TIME", "part_time": "PART_TIME", "contract": "CONTRACTOR", "temporary": "TEMPORARY",
               "internship": "INTERN"}


def _posting(j: Job, base: str) -> dict[str, Any]:
    return {
        "@context": "https://schema.org", "@type": "JobPosting", "identifier": str(j.id), "title": j.title,
        "description": j.description or "", "datePosted": j.opened_at.date().isoformat() if j.opened_at else None,
        "employmentType": _EMPLOYMENT.get(j.employment_type or ""), "industry": j.department,
        "jobLocation": {"@type": "Place", "address": j.location} if j.location else None,
        "totalJobOpenings": j.openings, "url": f"{base}/v1/job-board/jobs/{j.id}",
    }


@board.get("/jobs", summary="Public job feed (schema.org JobPosting)", openapi_extra={"security": []})
async def job_board(session: Session, request: Request) -> list[dict[str, Any]]:
    """Open jobs as schema.org `JobPosting` JSON-LD objects, for job boards and career sites. No key needed."""
    jobs = (await session.execute(select(Job).where(Job.status == JobStatus.OPEN).order_by(Job.opened_at))).scalars().all()
    return [_posting(j, str(request.base_url).rstrip("/")) for j in jobs]


@board.get("/jobs/{job_id}", summary="One public job posting", openapi_extra={"security": []},
           responses={404: {"description": "No open job with this id.", **P}})
async def job_posting(job_id: uuid.UUID, session: Session, request: Request) -> dict[str, Any]:
    """One open job as a schema.org `JobPosting`; 404 once it is closed. No key needed."""
    job = await session.get(Job, job_id)
    if job is None or job.status != JobStatus.OPEN:
        from talentkit.errors import NotFound
        raise NotFound("No open job with this id.")
    return _posting(job, str(request.base_url).rstrip("/"))
