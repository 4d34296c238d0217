"""Funnel, time to hire, time to fill: computed from stage history, so moves back and forth count correctly."""
from __future__ import annotations

import math
import statistics
import uuid
from typing import Any

from talentkit.uow import UnitOfWork

from ats.jobs import repository as jobs
from ats.jobs import service as job_service
from ats.reports import repository


def summary(days: list[float]) -> dict[str, Any]:
    """Count, median and 90th percentile (nearest rank) of durations in days."""
    if not days:
        return {"count": 0, "median_days": None, "p90_days": None}
    ordered = sorted(days)
    p90 = ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]
    return {"count": len(ordered), "median_days": round(statistics.median(ordered), 2), "p90_days": round(p90, 2)}


async def funnel(*, uow: UnitOfWork, job_id: uuid.UUID) -> dict[str, Any]:
    """Per stage: how many applications reached it or a later stage, and the conversion to the next stage."""
    job = await job_service.get(uow=uow, job_id=job_id)
    stages = sorted(job.stages, key=lambda s: s.position)
    position = {s.id: s.position for s in stages}
    furthest: dict[uuid.UUID, int] = {}
    for app_id, stage_id in await repository.stages_reached(uow.session, job_id):
        if stage_id in position:
            furthest[app_id] = max(furthest.get(app_id, -1), position[stage_id])
    reached = [sum(1 for f in furthest.values() if f >= s.position) for s in stages]
    out = []
    for i, s in enumerate(stages):
        nxt = reached[i + 1] if i + 1 < len(stages) else None
        out.append({"stage_id": s.id, "name": s.name, "kind": s.kind, "reached": reached[i],
                    "conversion_to_next": round(nxt / reached[i], 4) if nxt is not None and reached[i] else None})
    return {"job_id": job_id, "applications": len(furthest), "stages": out}


async def time_to_hire(*, uow: UnitOfWork, job_id: uuid.UUID | None) -> dict[str, Any]:
    """Days from application to hire, over current hires."""
    hires = await repository.current_hires(uow.session, job_id)
    return {"job_id": job_id, **summary([(h - a).total_seconds() / 86400 for _, _, a, h in hires])}


async def time_to_fill(*, uow: UnitOfWork, job_id: uuid.UUID | None) -> dict[str, Any]:
    """Days from the job opening to each hire, over current hires."""
    hires = await repository.current_hires(uow.session, job_id)
    opened = await jobs.opened_at(uow.session)
    days = [(h - opened[j]).total_seconds() / 86400 for _, j, _, h in hires if opened.get(j)]  # type: ignore[operator]
    return {"job_id": job_id, **summary(days)}


async def sources(*, uow: UnitOfWork, job_id: uuid.UUID | None) -> dict[str, Any]:
    """Applications and hires per source (the application's `source`), all jobs or one."""
    rows = await repository.by_source(uow.session, job_id)
    return {"job_id": job_id, "sources": [{"source": s, "applications": n, "hires": h} for s, n, h in rows]}
