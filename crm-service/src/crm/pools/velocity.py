"""Pipeline velocity: how long prospects take between talent stages, per pool, from the stage-change timeline."""
from __future__ import annotations

import statistics
import uuid
from collections import defaultdict
from itertools import pairwise
from typing import Any

from crm.activities.models import Activity


def velocity(stage_changes: list[Activity], pool_names: dict[str, str]) -> list[dict[str, Any]]:
    """Per pool: for each pair of consecutive stages a prospect went through, the count and the median days
    (`stage_changes` per prospect in time order)."""
    entries: dict[tuple[str | None, uuid.UUID], list[tuple[str | None, Any]]] = defaultdict(list)
    for a in stage_changes:
        entries[(a.data.get("pool_id"), a.prospect_id)].append((a.data.get("to_stage"), a.occurred_at))
    durations: dict[str | None, dict[tuple[str | None, str | None], list[float]]] = defaultdict(lambda: defaultdict(list))
    for (pid, _), stays in entries.items():
        for (stage, entered), (nxt, next_entered) in pairwise(stays):
            durations[pid][(stage, nxt)].append((next_entered - entered).total_seconds() / 86400)
    return [{"pool_id": pid, "pool_name": pool_names.get(pid), "transitions": [
        {"from_stage": a, "to_stage": b, "count": len(days), "median_days": round(statistics.median(days), 2)}
        for (a, b), days in sorted(pairs.items())]} for pid, pairs in durations.items() if pid]
