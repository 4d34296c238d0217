"""API section: ATS and CRM reads and writes against the bare Starlette + asyncpg app on the same PostgreSQL.

Throughput is the closed-loop saturation (`wrk -t2 -c16`, as in issue #9). Latency percentiles come from an
open-loop run at half the service's own saturation, on the service and on the bare app at that same rate.
The gateway is stopped meanwhile, so that nothing but the measured process competes for the two cores.

Beside them, the framework floor (`bench.floor_app`): the bare app's GET on FastAPI alone, and on FastAPI with a
SQLAlchemy session and a Pydantic model, with nothing of the platform on top. It shows which part of the gap to the
bare app the fixed choices set before any auth, middleware or business rule runs."""
from __future__ import annotations

import uuid
from typing import Any

from . import seed
from .context import Context
from .load import HttpClient, open_loop
from .report import Row
from .saturation import Target, saturate
from .stack import log
from .stats import median_of, summary

LABELS = {"ats": ("ATS", "/v1/candidates"), "crm": ("CRM", "/v1/prospects")}
FLOORS = {"fastapi": "FastAPI + asyncpg", "orm": "FastAPI + SQLAlchemy AsyncSession + Pydantic"}


async def open_run(target: Target, rate: float, seconds: float) -> dict[str, Any]:
    """p50/p95/p99 (s) of an open-loop run at `rate` requests per second; errors count as missing."""
    run = f"open{uuid.uuid4().hex[:10]}"
    client = HttpClient(target.base_url, target.headers)
    try:
        results = await open_loop(client, rate, seconds, lambda i: target.request(run, i))
    finally:
        await client.close()
    return {"rate": rate, **summary([r.latency for r in results]),
            "statuses": sorted({r.status for r in results})}


async def measure(ctx: Context) -> dict[str, Any]:
    """One pass over the six endpoints; a dict of figures (see `rows`)."""
    s, d = ctx.stack, ctx.durations
    posts = {name: Target(s.url(name), "POST", LABELS[name][1], s.headers) for name in LABELS}
    posts["bare"] = Target(s.url("bare"), "POST", "/items", {})
    out: dict[str, Any] = {}
    for name, target in posts.items():
        await saturate(target, d.warmup)
        sat = out[f"{name}_post"] = {"sat": await saturate(target, d.saturation)}
        log(f"api: {name} POST saturation {sat['sat']['rps']:.0f} req/s {sat['sat'].get('probe', '')}")
    ids = {"ats": await seed.fetch_ids(s.db_urls["ats"], "candidates"),
           "crm": await seed.fetch_ids(s.db_urls["crm"], "prospects"),
           "bare": await seed.fetch_ids(s.db_urls["bare"], "items")}
    gets = {name: Target(s.url(name), "GET", f"{LABELS[name][1]}/", s.headers, ids[name]) for name in LABELS}
    gets["bare"] = Target(s.url("bare"), "GET", "/items/", {}, ids["bare"])
    for name, target in gets.items():
        if not target.ids:
            raise RuntimeError(f"no {name} rows to read: every POST failed ({out[f'{name}_post']['sat'].get('probe')})")
        await saturate(target, d.warmup)
        sat = out[f"{name}_get"] = {"sat": await saturate(target, d.saturation)}
        log(f"api: {name} GET saturation {sat['sat']['rps']:.0f} req/s {sat['sat'].get('probe', '')}")
    for variant in FLOORS:
        target = Target(s.url("floor"), "GET", f"/{variant}/items/", {}, ids["bare"])
        await saturate(target, d.warmup)
        sat = out[f"floor_{variant}_get"] = {"sat": await saturate(target, d.saturation)}
        log(f"api: floor {variant} GET saturation {sat['sat']['rps']:.0f} req/s {sat['sat'].get('probe', '')}")
        if not sat["sat"]["rps"]:
            raise RuntimeError(f"the framework floor ({variant}) answered nothing: {sat['sat'].get('probe')}")
    target = Target(s.url("floor"), "POST", "/orm/items", {})
    await saturate(target, d.warmup)
    sat = out["floor_orm_post"] = {"sat": await saturate(target, d.saturation)}
    log(f"api: floor orm POST saturation {sat['sat']['rps']:.0f} req/s {sat['sat'].get('probe', '')}")
    for kind, targets in (("get", gets), ("post", posts)):
        for name in LABELS:
            figures = out[f"{name}_{kind}"]
            rate = max(1.0, round(0.5 * figures["sat"]["rps"], 1))
            figures["open"] = await open_run(targets[name], rate, d.open_loop)
            figures["bare_open"] = await open_run(targets["bare"], rate, d.open_loop)
            log(f"api: {name} {kind.upper()} at {rate:g}/s open loop: p99 {figures['open']['p99'] * 1000:.0f} ms "
                f"(bare {figures['bare_open']['p99'] * 1000:.0f} ms)")
    return out


def rows(passes: list[dict[str, Any]]) -> list[Row]:
    """The table rows of one or more passes (medians across passes)."""
    def med(*path: str) -> float | None:
        values = []
        for figures in passes:
            for key in path:
                figures = figures.get(key, {}) if isinstance(figures, dict) else {}
            values.append(figures if isinstance(figures, (int, float)) else None)
        return median_of(values)

    n = f" (median of {len(passes)} runs)" if len(passes) > 1 else ""
    tool = passes[0]["ats_get"]["sat"]["tool"]
    out: list[Row] = []
    for name, (label, path) in LABELS.items():
        for kind, bare_label, what in (("get", "bare SELECT", f"GET {path}/{{id}}"), ("post", "bare INSERT", f"POST {path}")):
            key = f"{name}_{kind}"
            errors = sum(p[key]["sat"].get("errors", 0) for p in passes)
            out.append(Row("api", f"{label} {what} throughput{n}", med(key, "sat", "rps"), "req/s",
                           baseline=med(f"bare_{kind}", "sat", "rps"), baseline_label=bare_label, target=0.5,
                           on_ratio=True, note=f"{tool}; {errors} non-2xx or socket errors" if errors else ""))
            rate = med(key, "open", "rate")
            quantiles = ("p99",) if kind == "get" else ("p50", "p99")
            for q in quantiles:
                missing = sum(p[key]["open"]["missing"] for p in passes)
                out.append(Row("api", f"{label} {what} {q} at {rate or 0:.0f}/s open loop{n}", med(key, "open", q), "ms",
                               baseline=med(key, "bare_open", q), baseline_label=f"{bare_label} at the same rate",
                               higher_is_better=False,
                               note=f"{missing} requests failed (counted as never answered)" if missing else ""))
    for variant, label in FLOORS.items():
        out.append(Row("api", f"framework floor: {label}, GET by id throughput{n}",
                       med(f"floor_{variant}_get", "sat", "rps"), "req/s", baseline=med("bare_get", "sat", "rps"),
                       baseline_label="bare SELECT",
                       note="the bare app's SELECT and JSON on the fixed choices alone: no auth, middleware, rate limit "
                            "or access log (bench/floor_app.py)"))
    if "floor_orm_post" in passes[0]:
        out.append(Row("api", f"framework floor: {FLOORS['orm']}, POST throughput{n}",
                       med("floor_orm_post", "sat", "rps"), "req/s", baseline=med("bare_post", "sat", "rps"),
                       baseline_label="bare INSERT",
                       note="the bare INSERT on the fixed choices alone: no auth, idempotency key, outbox or audit"))
    return out


async def run(ctx: Context, repeat: int) -> None:
    await ctx.quiet_gateway()
    passes = []
    for i in range(repeat):
        if repeat > 1:
            log(f"api: run {i + 1} of {repeat}")
        passes.append(await measure(ctx))
    ctx.details["api"] = passes
    ctx.ats_create_rps = median_of(p["ats_post"]["sat"]["rps"] for p in passes)
    ctx.crm_create_rps = median_of(p["crm_post"]["sat"]["rps"] for p in passes)
    for row in rows(passes):
        ctx.add(row)
