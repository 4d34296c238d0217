"""Idle CPU: what each process of the stack burns with no traffic at all (busy polling shows here), from
/proc/<pid>/stat over a few seconds; the bare app, which only waits, is the baseline."""
from __future__ import annotations

import asyncio
import time

from .context import Context
from .cpu import cpu_seconds, postgres_pids
from .report import Row
from .stack import log


async def run(ctx: Context) -> None:
    s = ctx.stack
    await asyncio.sleep(3)  # start-up work (topic creation, first polls) is not idle
    groups = {name: [p.proc.pid] for name, p in s.procs.items() if p.proc is not None and p.proc.poll() is None}
    groups["postgresql"] = postgres_pids(s.pg_dir)
    if s.kafka is not None:
        groups["kafka"] = [s.kafka.pid]
    before = {name: sum(cpu_seconds(p) for p in pids) for name, pids in groups.items()}
    t0 = time.monotonic()
    await asyncio.sleep(ctx.durations.idle)
    elapsed = time.monotonic() - t0
    pct = {name: 100 * (sum(cpu_seconds(p) for p in pids) - before[name]) / elapsed for name, pids in groups.items()}
    ctx.details["idle"] = {"seconds": elapsed, "cpu_percent": pct}
    log("idle CPU: " + ", ".join(f"{k} {v:.1f} %" for k, v in pct.items()))
    for name, label in (("ats", "ATS"), ("crm", "CRM"), ("gateway", "gateway")):
        if name in pct:
            ctx.add(Row("idle", f"{label} process CPU at idle", pct[name], "%", baseline=pct.get("bare"),
                        baseline_label="bare app", target=1.0, higher_is_better=False,
                        note="% of one core over the idle window; target set by the bench (issue #9: no busy "
                             "polling)" if name == "ats" else ""))
    ctx.add(Row("idle", "PostgreSQL CPU at idle (all backends)", pct.get("postgresql"), "%",
                note="the services' polling queries show up here too"))
    ctx.add(Row("idle", "Kafka broker CPU at idle", pct.get("kafka"), "%"))
