"""`make bench` (`PYTHONPATH=tests python -m bench`): start a fresh stack, run the sections, print one table and
write it as JSON with the machine's facts. Sections run in this order, each alone with `--only`:

  idle      CPU of each idle process                               (~15 s)
  api       ATS/CRM reads and writes vs a bare Starlette + asyncpg app  (~2.5 min per --repeat)
  sync      ATS -> CRM and CRM -> ATS sync latency at 4 open-loop rates, and each direction at 25 % through a
            bare pipeline instead of the gateway (~5-7 min)
  drain     gateway drain rate over a 10,000-event backlog             (~1-3 min)
  backfill  `talent-gateway backfill` of 100,000 seeded candidates     (~1.5 min)
  search    full-text, Boolean, semantic and hybrid search over 100,000 prospects and candidates, embedding and
            resume-parsing throughput (~8-12 min; not in the default run, which has a 15-minute budget:
            `make bench-search` or --only=search)

A new section (e.g. search, issue #12) is a module with `async def run(ctx)` added to `_sections`; a make target for
it passes `--only=<name>`."""
from __future__ import annotations

import argparse
import asyncio
import dataclasses
import os
import signal
import sys
import time
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from talent_dev import localstack as ls

from . import api, backfill, drain, idle, report, search, sync
from .context import BUDGET_S, Context, Durations
from .cpu import Monitor
from .report import Row
from .stack import BenchStack, log


def _sections(repeat: int) -> dict[str, Callable[[Context], Awaitable[None]]]:
    return {"idle": idle.run, "api": lambda ctx: api.run(ctx, repeat), "sync": sync.run, "drain": drain.run,
            "backfill": backfill.run, "search": search.run}


OPT_IN = ("search",)  # sections that run only when named in --only (the default run keeps its 15-minute budget)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make bench ARGS=...", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    names = ",".join(n for n in _sections(1) if n not in OPT_IN)
    p.add_argument("--only", default=os.environ.get("BENCH_ONLY", names),
                   help=f"comma-separated sections to run (default: {names}, or $BENCH_ONLY; also: {', '.join(OPT_IN)})")
    p.add_argument("--quick", action="store_true", default=bool(os.environ.get("BENCH_QUICK")),
                   help="a smoke run: short phases, small backlogs (figures indicative only); or $BENCH_QUICK=1")
    p.add_argument("--repeat", type=int, default=int(os.environ.get("BENCH_REPEAT", "1")),
                   help="run the api section N times and report medians")
    p.add_argument("--gateway-concurrency", type=int,
                   help="events the bare consume -> POST loop applies at once (default: the gateway's own setting, 1)")
    for field in ("sync_phase", "drain_people", "drain_cap", "backfill_people", "backfill_cap"):
        p.add_argument(f"--{field.replace('_', '-')}", type=float, help=f"override the {field} duration/size")
    args = p.parse_args(argv)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(_sections(1))
    if unknown:
        p.error(f"unknown section(s): {', '.join(sorted(unknown))}")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    return args


async def _postgres_facts(admin_url: str) -> dict[str, str]:
    conn = await asyncpg.connect(admin_url)
    try:
        return {name: await conn.fetchval(f"SELECT current_setting('{name}')")
                for name in ("server_version", "fsync", "synchronous_commit", "shared_buffers")}
    finally:
        await conn.close()


async def _run(ctx: Context, sections: list[str], repeat: int, errors: dict[str, str], timings: dict[str, float]) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    ctx.details["postgresql"] = await _postgres_facts(ctx.stack.admin_url)
    await ctx.discover_gateway_groups()
    runners = _sections(repeat)
    shares: list[Row] = []
    for name in sections:
        t0 = time.monotonic()
        log(f"=== section {name}")
        monitor = Monitor(ctx.stack.pids)
        monitor.start()
        try:
            await runners[name](ctx)
        except Exception:  # noqa: BLE001 - one broken section must not cost the figures of the others
            errors[name] = traceback.format_exc()
            log(f"section {name} FAILED:\n{errors[name]}")
        finally:
            share = await monitor.stop()
        timings[name] = round(time.monotonic() - t0, 1)
        ctx.details.setdefault("machine_share", {})[name] = share
        shares.append(Row("machine", f"CPU taken by other work on the machine during {name}", share["others_pct"], "%",
                          note=f"the bench's own processes {share['bench_pct']:.0f} %, stolen by the hypervisor "
                               f"{share['steal_pct']:.0f} % (% of all {os.cpu_count()} cores); other work skews "
                               f"every figure of the section" if share["others_pct"] >= 10 else ""))
        log(f"=== section {name} done in {timings[name]:.0f} s; other work took {share['others_pct']:.0f} % of the "
            f"machine meanwhile")
    for row in shares:
        ctx.add(row)


def _raise_interrupt(signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    repo = ls.repo_root()
    durations = Durations.quick() if args.quick else Durations()
    overrides = {f: type(getattr(durations, f))(getattr(args, f)) for f in
                 ("sync_phase", "drain_people", "drain_cap", "backfill_people", "backfill_cap")
                 if getattr(args, f) is not None}
    durations = dataclasses.replace(durations, **overrides)
    stack = BenchStack(repo)
    ctx = Context(stack, durations, gateway_concurrency=args.gateway_concurrency or drain.gateway_concurrency())
    stamp, started = time.strftime("%Y%m%d-%H%M%S"), time.time()
    facts = report.machine_facts(repo, kafka_libs=repo / ".local" / "kafka" / "libs")
    errors: dict[str, str] = {}
    timings: dict[str, float] = {}
    status = "complete"
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        stack.start()
        timings["stack start"] = round(time.time() - started, 1)
        asyncio.run(_run(ctx, args.only, args.repeat, errors, timings))
    except (KeyboardInterrupt, asyncio.CancelledError):
        status = "interrupted"
        log("interrupted: stopping everything the bench started")
    except Exception:  # noqa: BLE001 - the stack failed to start: report it, still clean up
        status = "failed"
        errors["stack"] = traceback.format_exc()
        log(f"FAILED:\n{errors['stack']}")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not interrupt the cleanup
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.close()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)
    elapsed = time.time() - started
    pg = ctx.details.get("postgresql", {})
    facts |= {"postgresql": pg.get("server_version", ""), "loadavg_at_end": report.loadavg()}
    config = {
        "sections": args.only, "quick": args.quick, "repeat": args.repeat, "durations": dataclasses.asdict(durations),
        "postgresql_durability": f"fsync={pg.get('fsync', '?')}, synchronous_commit={pg.get('synchronous_commit', '?')}",
        "load_generator": "wrk (saturation) + asyncio open loop (latency)" if facts["wrk"] else
                          "asyncio closed loop (saturation) + asyncio open loop (latency); wrk not installed",
        "gateway_concurrency": ctx.gateway_concurrency, "services": "one uvicorn worker each, `make run` settings",
    }
    path = report.write(repo, stamp, {"status": status, "started_at": started, "seconds": round(elapsed, 1),
                                      "machine": facts, "config": config, "section_seconds": timings,
                                      "rows": ctx.rows, "errors": errors, "details": ctx.details})
    print()
    print(f"make bench: {status} in {elapsed / 60:.1f} min (budget {BUDGET_S // 60} min) at git "
          f"{facts['git_commit'][:12]}{' (dirty)' if facts['git_dirty'] else ''}; {facts['cpu']}, {facts['cores']} cores, "
          f"{facts['ram_gb']} GB, kernel {facts['kernel']}, Python {facts['python']}, PostgreSQL "
          f"{facts['postgresql']} ({config['postgresql_durability']}), Kafka {facts['kafka']}, load average at start "
          f"{' '.join(facts['loadavg_at_start'])}")
    print(f"load: {config['load_generator']}; {config['services']}; bare loop concurrency {ctx.gateway_concurrency}"
          f"{'; QUICK run: indicative figures only' if args.quick else ''}")
    print()
    print(report.render(ctx.rows))
    print()
    if errors:
        print(f"sections that failed: {', '.join(errors)} (tracebacks in the JSON)")
    print(f"written: {path} and {path.parent / 'latest.json'}")
    return 0 if status == "complete" and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
