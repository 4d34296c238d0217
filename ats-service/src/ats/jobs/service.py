"""Job use cases: load the job under lock, let it decide (it records its events), flush where the database must
have its say."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, NotFound
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from ats.jobs import repository
from ats.jobs.models import Job, JobStatus, StageKind

FOREIGN_KEY_VIOLATION = "23503"


async def get(*, uow: UnitOfWork, job_id: uuid.UUID, for_update: bool = False) -> Job:
    """The job, or 404."""
    job = await repository.get(uow.session, job_id, for_update=for_update)
    if job is None:
        raise NotFound(f"No job with id {job_id}.")
    return job


async def list_jobs(*, uow: UnitOfWork, paging: Paging, status: JobStatus | None,
                    updated_after: datetime | None) -> dict[str, Any]:
    """A page of jobs, oldest first."""
    return await paging.page(uow.session, repository.listing(status=status, updated_after=updated_after), model=Job,
                             filters={"status": status.value if status else None,
                                      "updated_after": updated_after.isoformat() if updated_after else None})


async def create(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext) -> Job:
    """A draft job with the default pipeline."""
    job = Job.create(values, ctx.actor)
    uow.session.add(job)
    await uow.flush()
    return job


async def update(*, uow: UnitOfWork, job_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> Job:
    """Change job fields under If-Match."""
    job = await get(uow=uow, job_id=job_id, for_update=True)
    check_if_match(if_match, job.version)
    job.update(values, ctx.actor)
    return job


async def open_job(*, uow: UnitOfWork, job_id: uuid.UUID, ctx: RequestContext) -> Job:
    """Open a draft job, or reopen a closed one."""
    job = await get(uow=uow, job_id=job_id, for_update=True)
    job.open(ctx.actor)
    return job


async def reopen_job(*, uow: UnitOfWork, job_id: uuid.UUID, ctx: RequestContext) -> Job:
    """Open a closed job again."""
    job = await get(uow=uow, job_id=job_id, for_update=True)
    job.reopen(ctx.actor)
    return job


async def close_job(*, uow: UnitOfWork, job_id: uuid.UUID, reason: str, ctx: RequestContext) -> Job:
    """Stop accepting applications."""
    job = await get(uow=uow, job_id=job_id, for_update=True)
    job.close(reason, ctx.actor)
    return job


async def add_stage(*, uow: UnitOfWork, job_id: uuid.UUID, name: str, kind: StageKind, position: int | None,
                    ctx: RequestContext) -> Job:
    """Insert a stage into the job's pipeline."""
    job = await get(uow=uow, job_id=job_id, for_update=True)
    job.add_stage(name, kind, position, ctx.actor)
    return job


async def rename_stage(*, uow: UnitOfWork, job_id: uuid.UUID, stage_id: uuid.UUID, name: str, if_match: str | None,
                       ctx: RequestContext) -> Job:
    """Rename a stage under the job's If-Match."""
    job = await get(uow=uow, job_id=job_id, for_update=True)
    check_if_match(if_match, job.version)
    job.rename_stage(stage_id, name, ctx.actor)
    return job


async def reorder_stages(*, uow: UnitOfWork, job_id: uuid.UUID, stage_ids: list[uuid.UUID], ctx: RequestContext) -> Job:
    """Put the job's stages in a new order."""
    job = await get(uow=uow, job_id=job_id, for_update=True)
    job.reorder_stages(stage_ids, ctx.actor)
    return job


async def remove_stage(*, uow: UnitOfWork, job_id: uuid.UUID, stage_id: uuid.UUID, ctx: RequestContext) -> Job:
    """Remove a stage nothing refers to: applications, their stage history and interviews keep a stage alive
    (their foreign keys make the database refuse the delete, whatever runs at the same time)."""
    job = await get(uow=uow, job_id=job_id, for_update=True)
    try:
        async with uow.session.begin_nested():
            job.remove_stage(stage_id, ctx.actor)
            await uow.flush()
    except IntegrityError as exc:
        cause = exc.orig.__cause__ if exc.orig is not None else None
        if getattr(exc.orig, "sqlstate", None) != FOREIGN_KEY_VIOLATION and \
                type(cause).__name__ != "ForeignKeyViolationError":
            raise
        raise Conflict("Applications or interviews are or were in this stage; it cannot be removed (rename it instead).") from None
    return job
