"""Drain section: how fast the gateway works off a backlog of creates and updates produced while it was stopped,
against the CRM's own create saturation (the ceiling) and a bare aiokafka consume -> HTTP POST loop.

The backlog is seeded in bulk SQL in the shape the ATS writes it (see `seed`): through the API at the ATS's
write rate, 10,000 events would take minutes of the 15-minute budget. The relay publishes it to Kafka as usual."""
from __future__ import annotations

import asyncio
import re
import time
import uuid
from typing import Any

import httpx
from aiokafka import TopicPartition
from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import ATS_CANDIDATES, CRM_PROSPECTS

from . import kafka, seed
from .context import Context, wait_for
from .report import Row
from .saturation import Target, saturate
from .stack import log

BARE_GROUP = f"{kafka.BENCH_GROUP_PREFIX}bare-loop"
PROCESSED = "SELECT count(*) FROM processed_events WHERE consumer = $1 AND event_id = ANY($2::text[])"
PERSON_FIELDS = ("first_name", "last_name", "emails", "phones", "location", "headline", "tags", "source")


def gateway_concurrency() -> int:
    """How many events the gateway may apply at once, from its settings (1, sequential, when it has no such
    setting); the bare loop is allowed the same."""
    try:
        from sync_gateway.config import Settings
        settings = Settings()
    except Exception:  # noqa: BLE001 - settings that need more env than the bench has: assume sequential
        return 1
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if re.search(r"concurren|in_flight|parallel", name) and isinstance(value, int) and value > 0:
            return value
    return 1


async def bare_loop(bootstrap: str, start: dict[TopicPartition, int], end: dict[TopicPartition, int], url: str,
                    concurrency: int) -> dict[str, Any]:
    """Consume [start, end) of each partition and POST every record's person to the bare app, `concurrency` at a
    time, committing offsets after each fetched batch; events per second."""
    limit = asyncio.Semaphore(concurrency)
    posted = 0
    async with httpx.AsyncClient(base_url=url, timeout=30) as client, \
            kafka.consumer(bootstrap, group_id=BARE_GROUP, enable_auto_commit=False) as consumer:

        async def post(value: bytes | None, headers: Any) -> None:
            nonlocal posted
            event = EventEnvelope.from_kafka(headers, value)
            person = (event.data or {}).get("candidate") or {}
            async with limit:
                r = await client.post("/items", json={k: person.get(k) for k in PERSON_FIELDS})
            r.raise_for_status()
            posted += 1

        tps = [tp for tp in end if end[tp] > start.get(tp, 0)]
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, start.get(tp, 0))
        t0 = time.monotonic()
        remaining = set(tps)
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=500, max_records=200)
            for tp, records in batches.items():
                records = [r for r in records if r.offset < end[tp]]
                await asyncio.gather(*(post(r.value, r.headers) for r in records))
                if records:
                    await consumer.commit({tp: records[-1].offset + 1})
                if not records or records[-1].offset + 1 >= end[tp]:
                    remaining.discard(tp)
        seconds = time.monotonic() - t0
    return {"events": posted, "seconds": seconds, "rate": posted / seconds if seconds else None,
            "concurrency": concurrency}


async def run(ctx: Context) -> None:
    s, d = ctx.stack, ctx.durations
    await ctx.quiet_gateway()
    if ctx.crm_create_rps is None:  # the ceiling, measured by the same generator as the API section
        target = Target(s.url("crm"), "POST", "/v1/prospects", s.headers)
        await saturate(target, d.warmup)
        ctx.crm_create_rps = (await saturate(target, d.saturation))["rps"]
        log(f"drain: CRM create saturation {ctx.crm_create_rps:.0f} req/s")

    async def published() -> bool:
        return await seed.unpublished(s.db_urls["ats"]) == 0 and await seed.unpublished(s.db_urls["crm"]) == 0
    await wait_for(published, 60)
    await kafka.skip_to_end(s.bootstrap, ctx.gateway_groups)  # what earlier sections left is not part of the backlog
    start = await kafka.end_offsets(s.bootstrap, [ATS_CANDIDATES])

    run = uuid.uuid4().hex[:8]
    seeded = await seed.seed_candidates(s.db_urls["ats"], f"drain-{run}", d.drain_people, with_events=True)
    events, finals = seeded["events"], seeded["finals"]
    log(f"drain: {d.drain_people} candidates and {events} outbox rows seeded in bulk SQL in {seeded['seconds']:.1f} s")
    t0 = time.monotonic()

    async def on_kafka() -> bool:
        ends = await kafka.end_offsets(s.bootstrap, [ATS_CANDIDATES])
        return sum(ends.values()) - sum(start.values()) >= events
    if not await wait_for(on_kafka, 180):
        raise RuntimeError(f"the ATS relay did not publish the {events}-event backlog within 180 s")
    relay_s = time.monotonic() - t0
    end = await kafka.end_offsets(s.bootstrap, [ATS_CANDIDATES])
    log(f"drain: the relay published the backlog in {relay_s:.1f} s")

    bare = await bare_loop(s.bootstrap, start, end, s.url("bare"), ctx.gateway_concurrency)
    log(f"drain: bare aiokafka -> HTTP POST loop: {bare['rate']:.0f} events/s (concurrency {bare['concurrency']})")

    complete: set[str] = set()
    last_write = 0.0  # the CRM's write time of the change that completed the last person so far

    def on_event(event: EventEnvelope, _published: float) -> None:
        nonlocal last_write
        prospect = (event.data or {}).get("prospect") if isinstance(event.data, dict) else None
        if event.type.startswith("crm.prospect.") and prospect:
            for email in prospect.get("emails") or ():
                if email in finals and prospect.get("headline") == finals[email]:
                    complete.add(email)
                    last_write = max(last_write, kafka.write_time(event, "prospect"))
                elif email in finals:
                    complete.discard(email)

    tap = kafka.EventTap(s.bootstrap, [CRM_PROSPECTS], on_event, *s.key_service())
    await tap.start()
    consumed = 0
    samples: list[tuple[float, int, int]] = []
    try:
        ready = await ctx.start_gateway()
        cap = ctx.cap(d.drain_cap)
        while True:
            done = await kafka.committed(s.bootstrap, "sync-gateway")
            committed = sum(min(done.get(tp, start.get(tp, 0)), end[tp]) - start.get(tp, 0) for tp in end)
            # Applied events: the consumer's processed-events rows (written with each apply) are exact; the
            # committed offsets trail them by up to a fetched batch.
            applied = await seed.count_rows(s.db_urls["gateway"], PROCESSED, "sync-gateway", seeded["event_ids"])
            consumed = max(committed, applied or 0)
            samples.append((round(time.time() - ready, 1), consumed, len(complete)))
            if (len(complete) == len(finals) and consumed >= events) or time.time() >= ready + cap:
                break
            await asyncio.sleep(1)
    finally:
        await tap.stop()
    capped = len(complete) < len(finals)
    elapsed = (time.time() if capped else last_write) - ready
    rate = (consumed if capped else events) / elapsed if elapsed > 0 else None
    ctx.details["drain"] = {"people": d.drain_people, "events": events, "backlog": "bulk SQL (candidates + outbox rows)",
                            "seed_seconds": seeded["seconds"], "relay_seconds": relay_s, "bare_loop": bare,
                            "gateway_ready_at": ready, "complete_seconds": None if capped else elapsed,
                            "people_complete": len(complete),
                            "capped": capped, "consumed_at_stop": consumed, "rate": rate,
                            "crm_create_saturation": ctx.crm_create_rps,
                            "samples (s since ready, events applied, people complete)": samples}
    log(f"drain: gateway {rate or 0:.1f} events/s ({'capped' if capped else 'complete'} after {elapsed:.0f} s)")
    how = (f"capped at {cap:.0f} s: {consumed} of {events} events applied, {len(complete)} of {len(finals)} "
           f"people complete; the rate so far (events applied)" if capped else
           f"every person in the CRM with the latest value {elapsed:.1f} s after the gateway answered /readyz")
    ctx.add(Row("drain", f"gateway drain rate, {events:,}-event backlog", rate, "events/s",
                baseline=ctx.crm_create_rps, baseline_label="CRM POST saturation", target=0.8, on_ratio=True,
                note=f"{how}; backlog of {d.drain_people:,} people (created + updated) seeded in bulk SQL, relay "
                     f"published it in {relay_s:.1f} s"))
    ctx.add(Row("drain", "gateway drain rate vs bare aiokafka -> HTTP POST loop", rate, "events/s",
                baseline=bare["rate"], baseline_label=f"bare loop, concurrency {bare['concurrency']}"))
    total = events / rate if rate else None
    ctx.add(Row("drain", f"time to drain {events:,} events" + (" (extrapolated)" if capped else ""), total, "s"))
