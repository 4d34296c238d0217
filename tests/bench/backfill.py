"""Backfill section: 100,000 ATS candidates seeded in bulk SQL, then the gateway's own CLI
(`talent-gateway backfill --side ats`) links them all to the CRM, with the live gateway stopped (as an operator
runs it). Progress is the number of links in the gateway's database; a backfill still running at the cap is
interrupted and its time extrapolated from the rate so far."""
from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import time
import uuid
from datetime import UTC, datetime

from . import seed
from .context import Context
from .report import Row
from .stack import log

LINKS = "SELECT count(*) FROM links"


async def run(ctx: Context) -> None:
    s, d = ctx.stack, ctx.durations
    await asyncio.to_thread(s.stop_gateway)
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
    with stderr:
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
                               "samples (s, linked)": samples}
    how = (f"capped: {linked:,} of {d.backfill_people:,} linked in the first {elapsed:.0f} s, the rest extrapolated"
           if capped else f"exit code {proc.returncode}, {linked:,} linked")
    log(f"backfill: {rate or 0:.1f} people/s ({how})")
    ctx.add(Row("backfill", f"backfill of {d.backfill_people:,} people: time" + (" (extrapolated)" if capped else ""),
                total, "s", target=120.0 if d.backfill_people >= 100_000 else None, higher_is_better=False,
                note=f"{how}; `talent-gateway backfill --side ats`, live gateway stopped; candidates seeded in bulk "
                     f"SQL in {seeded['seconds']:.1f} s"))
    ctx.add(Row("backfill", "backfill rate", rate, "people/s", baseline=ctx.crm_create_rps,
                baseline_label="CRM POST saturation"))
