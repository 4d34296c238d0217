"""The arithmetic of the bench: percentiles, open-loop schedules, the lag verdict, ratios and medians."""
from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from typing import Any

MISSING = math.inf  # the latency of a request or an event that never completed within the wait


def percentile(values: Iterable[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); `MISSING` values count as the slowest (nan for no values)."""
    ordered = sorted(values)
    if not ordered:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(latencies: Sequence[float]) -> dict[str, Any]:
    """n, missing, p50, p95, p99 and max of a list of latencies in seconds."""
    done = [v for v in latencies if v != MISSING]
    return {"n": len(latencies), "missing": len(latencies) - len(done),
            **{f"p{q}": percentile(latencies, q) for q in (50, 95, 99)},
            "max": max(done) if done else math.nan}


def schedule(rate: float, duration: float) -> list[float]:
    """Intended send offsets (s) of an open-loop run: one every 1/rate seconds for `duration` seconds (at least one).

    Requests go out at these times whatever happened to earlier ones, and latency is measured from them: a slow
    response delays nobody's send time, so it cannot hide the queueing it causes (no coordinated omission)."""
    if rate <= 0 or duration <= 0:
        raise ValueError("rate and duration must be positive")
    return [i / rate for i in range(max(1, math.floor(rate * duration + 1e-9)))]


def lag_verdict(points: Sequence[tuple[float, float]], *, slack: float = 0.05, factor: float = 1.5) -> dict[str, Any]:
    """Whether latency stays flat over an open-loop run: the median of the last third of requests (by intended send
    time) is at most `factor` times the first third's plus `slack` seconds, and none of the last third is missing.

    A consumer that keeps up shows the same latency at the end as at the start; one that falls behind shows a
    latency that grows with the time since the run started (a backlog)."""
    ordered = [latency for _, latency in sorted(points)]
    if len(ordered) < 3:
        return {"flat": None, "first_p50": math.nan, "last_p50": math.nan}
    third = len(ordered) // 3
    first, last = ordered[:third], ordered[-third:]
    first_p50, last_p50 = percentile(first, 50), percentile(last, 50)
    flat = MISSING not in last and last_p50 <= factor * first_p50 + slack
    return {"flat": flat, "first_p50": first_p50, "last_p50": last_p50}


def ratio(value: float | None, baseline: float | None) -> float | None:
    """value / baseline, None when either is unknown or the baseline is zero."""
    if value is None or baseline is None or not math.isfinite(value) or not math.isfinite(baseline) or baseline == 0:
        return None
    return value / baseline


def median_of(values: Iterable[float | None]) -> float | None:
    """Median of the known values (None when there are none)."""
    known = [v for v in values if v is not None and not (isinstance(v, float) and math.isnan(v))]
    return statistics.median(known) if known else None
