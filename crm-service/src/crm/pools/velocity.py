"""Pipeline velocity: how long prospects take between talent stages, per pool, from the stage-change timeline."""
from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.activities.models import Activity
from crm.pools.models import Pool


async def pipeline_velocity(session: AsyncSession, pool_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """Per pool: for each pair of consecutive stages a prospect went through, the count and the median days."""
    stmt = select(Activity).where(Activity.kind == "stage_changed").order_by(Activity.prospect_id, Activity.occurred_at)
    if pool_id:
        stmt = stmt.where(Activity.data["pool_id"].astext == str(pool_id))
    entries: dict[tuple[str, uuid.UUID], list[tuple[str, Any]]] = defaultdict(list)
    for a in (await session.execute(stmt)).scalars():
        entries[(a.data.get("pool_id"), a.prospect_id)].append((a.data.get("to_stage"), a.occurred_at))
    durations: dict[str, dict[tuple[str, str], list[float]]] = defaultdict(lambda: defaultdict(list))
    for (pid, _), stays in entries.items():
        for (stage, entered), (nxt, next_entered) in zip(stays, stays[1:], strict=False):
            durations[pid][(stage, nxt)].append((next_entered - entered).total_seconds() / 86400)
    names = {str(p.id): p.name for p in (await session.execute(select(Pool))).scalars()}
    return [{"pool_id": pid, "pool_name": names.get(pid), "transitions": [
        {"from_stage": a, "to_stage": b, "count": len(days), "median_days": round(statistics.median(days), 2)}
        for (a, b), days in sorted(pairs.items())]} for pid, pairs in durations.items() if pid]
