"""Funnel, time to hire, time to fill: computed from stage history, so moves back and forth count correctly."""
from __future__ import annotations

import math
import statistics
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import StageHistory
from ats.jobs import service as jobs
from ats.jobs.models import Job


def summary(days: list[float]) -> dict[str, Any]:
    """Count, median and 90th percentile (nearest rank) of durations in days."""
    if not days:
        return {"count": 0, "median_days": None, "p90_days": None}
    ordered = sorted(days)
    p90 = ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]
    return {"count": len(ordered), "median_days": round(statistics.median(ordered), 2), "p90_days": round(p90, 2)}


async def funnel(session: AsyncSession, job_id: uuid.UUID) -> dict[str, Any]:
    """Per stage: how many applications reached it or a later stage, and the conversion to the next stage."""
    job = await jobs.get(session, job_id)
    stages = sorted(job.stages, key=lambda s: s.position)
    position = {s.id: s.position for s in stages}
    rows = (await session.execute(select(StageHistory.application_id, StageHistory.to_stage_id)
                                  .where(StageHistory.job_id == job_id))).all()
    furthest: dict[uuid.UUID, int] = {}
    for app_id, stage_id in rows:
        if stage_id in position:
            furthest[app_id] = max(furthest.get(app_id, -1), position[stage_id])
    reached = [sum(1 for f in furthest.values() if f >= s.position) for s in stages]
    out = []
    for i, s in enumerate(stages):
        nxt = reached[i + 1] if i + 1 < len(stages) else None
        out.append({"stage_id": s.id, "name": s.name, "kind": s.kind, "reached": reached[i],
                    "conversion_to_next": round(nxt / reached[i], 4) if nxt is not None and reached[i] else None})
    return {"job_id": job_id, "applications": len(furthest), "stages": out}


async def _hires(session: AsyncSession, job_id: uuid.UUID | None) -> list[tuple[uuid.UUID, uuid.UUID, datetime, datetime]]:
    """(application, job, applied_at, hired_at) for each hire, from the history rows of action `hired`."""
    first = (select(StageHistory.application_id, StageHistory.entered_at)
             .where(StageHistory.action == "applied").subquery())
    stmt = (select(StageHistory.application_id, StageHistory.job_id, first.c.entered_at, StageHistory.entered_at)
            .join(first, first.c.application_id == StageHistory.application_id)
            .where(StageHistory.action == "hired", StageHistory.exited_at.is_(None)))
    if job_id:
        stmt = stmt.where(StageHistory.job_id == job_id)
    return [tuple(r) for r in (await session.execute(stmt)).all()]  # type: ignore[misc]


async def time_to_hire(session: AsyncSession, job_id: uuid.UUID | None) -> dict[str, Any]:
    """Days from application to hire, over current hires."""
    hires = await _hires(session, job_id)
    return {"job_id": job_id, **summary([(h - a).total_seconds() / 86400 for _, _, a, h in hires])}


async def time_to_fill(session: AsyncSession, job_id: uuid.UUID | None) -> dict[str, Any]:
    """Days from the job opening to each hire, over current hires."""
    hires = await _hires(session, job_id)
    opened = {j: t for j, t in (await session.execute(select(Job.id, Job.opened_at))).all()}
    days = [(h - opened[j]).total_seconds() / 86400 for _, j, _, h in hires if opened.get(j)]
    return {"job_id": job_id, **summary(days)}


