"""Job use cases: each write bumps the job's version, emits its event and is audited, in one transaction."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error

from ats.audit import service as audit
from ats.events import emit
from ats.jobs.models import DEFAULT_STAGES, Job, JobStage, JobStatus, StageKind


async def get(session: AsyncSession, job_id: uuid.UUID, *, for_update: bool = False) -> Job:
    """The job, or 404."""
    stmt = select(Job).where(Job.id == job_id)
    job = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if job is None:
        raise NotFound(f"No job with id {job_id}.")
    return job


async def create(session: AsyncSession, values: dict[str, Any], ctx: RequestContext) -> Job:
    job = Job(**values, status=JobStatus.DRAFT, version=1, created_by=ctx.actor, updated_by=ctx.actor,
              stages=[JobStage(name=n, kind=k, position=i) for i, (n, k) in enumerate(DEFAULT_STAGES)])
    session.add(job)
    await session.flush()
    await emit(session, ctx, "ats.job.created.v1", aggregate_id=job.id, sequence=job.version, data={"job": job.snapshot()})
    await audit.record(session, ctx, "job.created", "job", job.id, {k: {"before": None, "after": v} for k, v in values.items()})
    return job


async def update(session: AsyncSession, job_id: uuid.UUID, values: dict[str, Any], if_match: str | None, ctx: RequestContext) -> Job:
    job = await get(session, job_id, for_update=True)
    check_if_match(if_match, job.version)
    changes = {k: {"before": getattr(job, k), "after": v} for k, v in values.items() if getattr(job, k) != v}
    if changes:
        for k, c in changes.items():
            setattr(job, k, c["after"])
        job.touch(ctx.actor)
        await _changed(session, ctx, job, "job.updated", changes)
    return job


async def open_job(session: AsyncSession, job_id: uuid.UUID, ctx: RequestContext) -> Job:
    job = await get(session, job_id, for_update=True)
    before = job.status
    reopened = job.open(ctx.actor)
    await session.flush()
    await emit(session, ctx, "ats.job.opened.v1", aggregate_id=job.id, sequence=job.version,
               data={"job": job.snapshot(), "reopened": reopened})
    await audit.record(session, ctx, "job.reopened" if reopened else "job.opened", "job", job.id,
                       {"status": {"before": before, "after": job.status}})
    return job


async def close_job(session: AsyncSession, job_id: uuid.UUID, reason: str, ctx: RequestContext) -> Job:
    job = await get(session, job_id, for_update=True)
    job.close(reason, ctx.actor)
    await session.flush()
    await emit(session, ctx, "ats.job.closed.v1", aggregate_id=job.id, sequence=job.version,
               data={"job": job.snapshot(), "reason": reason})
    await audit.record(session, ctx, "job.closed", "job", job.id,
                       {"status": {"before": "open", "after": "closed"}, "close_reason": {"before": None, "after": reason}})
    return job


async def add_stage(session: AsyncSession, job_id: uuid.UUID, name: str, kind: StageKind, position: int | None,
                    ctx: RequestContext) -> Job:
    job = await get(session, job_id, for_update=True)
    _unique_name(job, name)
    if position is None:
        later = [s.position for s in job.stages if StageKind(s.kind).rank > kind.rank]
        position = min(later) if later else len(job.stages)
    position = min(position, len(job.stages))
    for s in job.stages:
        if s.position >= position:
            s.position += 1
    job.stages.append(JobStage(name=name, kind=kind, position=position))
    job.renumber()
    job.touch(ctx.actor)
    await _changed(session, ctx, job, "job.stage_added", {"stages": {"before": None, "after": {"name": name, "kind": kind, "position": position}}})
    return job


async def rename_stage(session: AsyncSession, job_id: uuid.UUID, stage_id: uuid.UUID, name: str, if_match: str | None,
                       ctx: RequestContext) -> Job:
    job = await get(session, job_id, for_update=True)
    check_if_match(if_match, job.version)
    stage = _stage(job, stage_id)
    if stage.name != name:
        _unique_name(job, name)
        before, stage.name = stage.name, name
        job.touch(ctx.actor)
        await _changed(session, ctx, job, "job.stage_renamed", {f"stages.{stage.id}.name": {"before": before, "after": name}})
    return job


async def reorder_stages(session: AsyncSession, job_id: uuid.UUID, stage_ids: list[uuid.UUID], ctx: RequestContext) -> Job:
    job = await get(session, job_id, for_update=True)
    if sorted(map(str, stage_ids)) != sorted(str(s.id) for s in job.stages):
        raise Unprocessable("List every stage of the job exactly once.", errors=[field_error("stage_ids", "must be a permutation of the job's stage ids")])
    if _stage(job, stage_ids[0]).kind == StageKind.HIRED:
        raise Unprocessable("The first stage cannot be of kind `hired`: applications start there.",
                            errors=[field_error("stage_ids", "first stage is of kind hired")])
    before = [str(s.id) for s in sorted(job.stages, key=lambda s: s.position)]
    if before != [str(i) for i in stage_ids]:
        for i, sid in enumerate(stage_ids):
            _stage(job, sid).position = i
        job.renumber()
        job.touch(ctx.actor)
        await _changed(session, ctx, job, "job.stages_reordered", {"stages": {"before": before, "after": [str(i) for i in stage_ids]}})
    return job


async def remove_stage(session: AsyncSession, job_id: uuid.UUID, stage_id: uuid.UUID, ctx: RequestContext) -> Job:
    from ats.applications.models import Application, StageHistory

    job = await get(session, job_id, for_update=True)
    stage = _stage(job, stage_id)
    used = await session.scalar(select(exists().where(Application.stage_id == stage_id))) or \
        await session.scalar(select(exists().where(StageHistory.to_stage_id == stage_id)))
    if used:
        raise Conflict("Applications are or were in this stage; it cannot be removed (rename it instead).")
    if len(job.stages) == 1:
        raise Conflict("A job needs at least one stage.")
    job.stages.remove(stage)
    job.renumber()
    job.touch(ctx.actor)
    await _changed(session, ctx, job, "job.stage_removed", {"stages": {"before": {"id": str(stage.id), "name": stage.name}, "after": None}})
    return job


def _stage(job: Job, stage_id: uuid.UUID) -> JobStage:
    stage = job.stage(stage_id)
    if stage is None:
        raise NotFound(f"Job {job.id} has no stage {stage_id}.")
    return stage


def _unique_name(job: Job, name: str) -> None:
    if any(s.name.lower() == name.lower() for s in job.stages):
        raise Conflict(f"The job already has a stage named {name!r}.")


async def _changed(session: AsyncSession, ctx: RequestContext, job: Job, action: str, changes: dict[str, Any]) -> None:
    await session.flush()
    await emit(session, ctx, "ats.job.updated.v1", aggregate_id=job.id, sequence=job.version,
               data={"job_id": job.id, "changes": changes, "job": job.snapshot()})
    await audit.record(session, ctx, action, "job", job.id, changes)
