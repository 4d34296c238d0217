"""Backfill section: 100,000 ATS candidates seeded in bulk SQL, then the gateway's own CLI
(`talent-gateway backfill --side ats`) links them all to the CRM, with the live gateway stopped (as an operator
runs it). Progress is the number of links in the gateway's database; a backfill still running at the cap is
interrupted and its time extrapolated from the rate so far."""
from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import uuid
from datetime import UTC, datetime

import httpx

from . import seed
from .context import Context
from .cpu import Components, cpu_seconds, descendants, postgres_pids
from .report import Row
from .stack import log

LINKS = "SELECT count(*) FROM links"
BATCH = 200  # what the backfill sends per batch (one page of candidates)


def _crm_and_postgres_cpu(ctx: Context) -> float:
    s = ctx.stack
    crm = s.procs["crm"].proc
    return (cpu_seconds(crm.pid) if crm else 0.0) + sum(cpu_seconds(p) for p in postgres_pids(s.pg_dir))


async def crm_batch_rate(ctx: Context, seconds: float = 10.0) -> tuple[float | None, float | None]:
    """The CRM's own batch-create rate (prospects/s): `POST /v1/prospects/batch` of 200 creates, two batches in flight
    (as the backfill sends them), for `seconds`: the ceiling of any backfill into the CRM on this machine; and the CPU
    seconds the CRM process and PostgreSQL spent per prospect (what bounds it on an idle machine, whatever else runs)."""
    s = ctx.stack
    done, t0, tag = 0, time.monotonic(), uuid.uuid4().hex[:8]
    cpu0 = _crm_and_postgres_cpu(ctx)

    async def sender(client: httpx.AsyncClient, lane: int) -> None:
        nonlocal done
        n = 0
        while time.monotonic() - t0 < seconds:
            items = [{"op": "create", "idempotency_key": f"bench-batch-{tag}-{lane}-{n}-{i}",
                      "body": {"first_name": "Batch", "last_name": f"P{i}", "emails": [f"b-{tag}-{lane}-{n}-{i}@bench.example.com"],
                               "headline": "Engineer", "tags": ["bench"]}} for i in range(BATCH)]
            resp = await client.post(f"{s.url('crm')}/v1/prospects/batch", json={"items": items})
            resp.raise_for_status()
            done += resp.json()["succeeded"]
            n += 1
    async with httpx.AsyncClient(headers=s.headers, timeout=60) as client:
        await asyncio.gather(sender(client, 0), sender(client, 1))
    elapsed, cpu = time.monotonic() - t0, _crm_and_postgres_cpu(ctx) - cpu0
    return (done / elapsed if elapsed > 0 else None), (cpu / done if done else None)


async def run(ctx: Context) -> None:
    s, d = ctx.stack, ctx.durations
    await asyncio.to_thread(s.stop_gateway)
    batch_rps, cpu_each = await crm_batch_rate(ctx, 5.0 if d.backfill_people < 100_000 else 10.0)
    log(f"backfill: the CRM's own batch create rate is {batch_rps or 0:.0f} prospects/s, "
        f"{(cpu_each or 0) * 1000:.1f} ms CPU each (CRM process + PostgreSQL)")
    since = datetime.now(UTC)
    seeded = await seed.seed_candidates(s.db_urls["ats"], f"backfill-{uuid.uuid4().hex[:8]}", d.backfill_people,
                                        with_events=False)
    log(f"backfill: {d.backfill_people:,} candidates seeded in bulk SQL in {seeded['seconds']:.1f} s")
    links_before = await seed.count_rows(s.db_urls["gateway"], LINKS) or 0

    async def linked_since() -> int:
        now = await seed.count_rows(s.db_urls["gateway"], LINKS)
        return 0 if now is None else now - links_before
    state_dir = s.run_dir / "gateway-cli"
    stderr_path = s.logs / "backfill.log"
    cli = s.procs["gateway"].bin_dir / "talent-gateway"
    stderr = await asyncio.to_thread(stderr_path.open, "wb")
    meter = Components(lambda: _parts(ctx))
    cli_before = _children_cpu()
    with stderr:
        meter.start()
        t0 = time.monotonic()
        proc = await asyncio.create_subprocess_exec(
            str(cli), "backfill", "--side", "ats", "--updated-after", since.isoformat(), "--restart", "--json",
            env={**s.gateway_env(), "GATEWAY_STATE_DIR": str(state_dir)},
            stdout=asyncio.subprocess.PIPE, stderr=stderr)
        samples: list[tuple[float, int]] = []
        cap = ctx.cap(d.backfill_cap)
        capped = False
        stdout = b""
        try:
            reader = asyncio.create_task(proc.stdout.read())  # type: ignore[union-attr]
            while proc.returncode is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(proc.wait(), 2)
                samples.append((time.monotonic() - t0, await linked_since()))
                if proc.returncode is None and time.monotonic() - t0 >= cap:
                    capped = True
                    proc.send_signal(signal.SIGINT)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(proc.wait(), 20)
                    break
            stdout = await asyncio.wait_for(reader, 10) if proc.returncode is not None else b""
        finally:
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
    elapsed = time.monotonic() - t0
    cpu = meter.stop() | {"gateway (backfill CLI)": _children_cpu() - cli_before}
    linked = await linked_since()
    result = None
    with contextlib.suppress(ValueError):
        result = json.loads(stdout.decode() or "null")
    if not capped and proc.returncode not in (0, None):
        log(f"backfill: the CLI exited with {proc.returncode}; see {stderr_path}")
    rate = linked / elapsed if elapsed > 0 else None
    total = d.backfill_people / rate if rate else None
    ctx.details["backfill"] = {"people": d.backfill_people, "seed_seconds": seeded["seconds"], "seconds": elapsed,
                               "linked": linked, "capped": capped, "exit_code": proc.returncode, "result": result,
                               "cpu_seconds": cpu, "samples (s, linked)": samples}
    how = (f"capped: {linked:,} of {d.backfill_people:,} linked in the first {elapsed:.0f} s, the rest extrapolated"
           if capped else f"exit code {proc.returncode}, {linked:,} linked")
    log(f"backfill: {rate or 0:.1f} people/s ({how})")
    ctx.add(Row("backfill", f"backfill of {d.backfill_people:,} people: time" + (" (extrapolated)" if capped else ""),
                total, "s", target=120.0 if d.backfill_people >= 100_000 else None, higher_is_better=False,
                note=f"{how}; `talent-gateway backfill --side ats` (CRM batches, 8 pages in hand), live gateway stopped; candidates seeded in bulk "
                     f"SQL in {seeded['seconds']:.1f} s"))
    ctx.add(Row("backfill", "backfill rate", rate, "people/s", baseline=ctx.crm_create_rps,
                baseline_label="CRM POST saturation"))
    ctx.add(Row("backfill", "backfill rate vs the CRM's own batch creates", rate, "people/s", baseline=batch_rps,
                baseline_label="CRM POST /v1/prospects/batch (200 per batch, 2 in flight)",
                note=f"at the CRM's batch rate alone, {d.backfill_people:,} people take "
                     f"{d.backfill_people / batch_rps:.0f} s" if batch_rps else ""))
    if linked:
        parts = {k: v for k, v in cpu.items() if k not in ("machine busy %", "wall seconds")}
        per = ", ".join(f"{k} {1000 * v / linked:.2f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]))
        cores = os.cpu_count() or 1
        each = sum(parts.values()) / linked
        ctx.add(Row("backfill", "backfill CPU per person (whole stack)", each, "ms",  # seconds, shown in ms
                    note=f"ms of CPU per person linked: {per}; machine {cpu['machine busy %']:.0f} % busy; "
                         f"{cores} cores at 100 % would carry at most {cores / each:,.0f} people/s at this cost"))
    ctx.details["backfill"]["crm_batch_create_rps"] = batch_rps
    ctx.details["backfill"]["crm_batch_create_cpu_s_each"] = cpu_each
    if cpu_each:
        cores = os.cpu_count() or 1
        ctx.add(Row("backfill", "CRM batch create: CPU per prospect (CRM process + PostgreSQL)", cpu_each, "ms",  # seconds, shown in ms
                    note=f"on {cores} idle cores at most {cores / cpu_each:,.0f} prospects/s: {d.backfill_people:,} "
                         f"people need at least {d.backfill_people * cpu_each / cores:.0f} s of the whole machine "
                         "for the CRM's inserts alone (the ATS pages and the gateway come on top)"))


def _parts(ctx: Context) -> dict[str, list[int]]:
    """The stack's processes during the backfill (the live gateway is stopped; the CLI is counted on its own)."""
    s = ctx.stack
    parts = {name: descendants(p.proc.pid) for name, p in s.procs.items()
             if name in ("ats", "crm") and p.proc is not None and p.proc.poll() is None}
    parts["postgresql"] = postgres_pids(s.pg_dir) if s.pg_started else []
    parts["kafka"] = [s.kafka.pid] if s.kafka else []
    return parts


def _children_cpu() -> float:
    """CPU seconds of this process's finished, waited-for children (the backfill CLI, once it has exited)."""
    return cpu_seconds(os.getpid(), children=True) - cpu_seconds(os.getpid())
