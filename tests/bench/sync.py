"""Sync section: ATS -> CRM and CRM -> ATS sync latency at open-loop rates (1/s, 10 %, 25 % and 50 % of the ATS's
candidate-create saturation), and whether it stays flat. The targets are set at 25 % and 50 %; 10 % has none: it
shows the latency while the machine still has cores to spare, against which the 25 % figures read as queueing.

Nothing polls the services while a phase runs: a tap on the topics sees each change land on the other side. The
latency of a person is the other side's write time (`updated_at` of the record in its event) minus the intended
send time of the request that started it. The baseline is the floor no gateway can beat: until the first side's
event is on Kafka (its record timestamp) the gateway cannot know about the change.

In each direction one more phase at the 25 % rate runs through a bare pipeline instead of the gateway (`bare_sync`:
the least any gateway must do, on the same stack): the gateway's 25 % figures are shown against it."""
from __future__ import annotations

import json
import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import ATS_CANDIDATES, CRM_PROSPECTS

from . import kafka
from .bare_sync import BarePipeline
from .context import Context, wait_for
from .cpu import Components, descendants, postgres_pids
from .load import HttpClient, Request, Result, open_loop
from .report import Row
from .saturation import PERSON, Target, saturate
from .stack import log
from .stats import MISSING, lag_verdict, summary


@dataclass
class Seen:
    """What the tap saw, by ids and causation only: nothing sealed is opened, so the tap asks the services for no
    keys (it adds no request to the stack it measures). A change is known by the record id (and version) its
    request was answered with; the other side's write names the first side's event as its cause."""

    ats_created: dict[str, tuple[str, float]] = field(default_factory=dict)  # candidate id -> (event id, on Kafka)
    crm_updated: dict[str, tuple[str, float]] = field(default_factory=dict)  # "<prospect id>:<version>" -> (event id, on Kafka)
    written_for: dict[str, tuple[float, str]] = field(default_factory=dict)  # first side's event id -> (other side's write time, record id)

    def __call__(self, event: EventEnvelope, published: float) -> None:
        if event.type == "ats.candidate.created.v1":
            self.ats_created.setdefault(event.subject, (event.id, published))
        elif event.type == "crm.prospect.updated.v1":
            self.crm_updated.setdefault(f"{event.subject}:{event.sequence}", (event.id, published))
        if event.causationid and event.type in ("crm.prospect.created.v1", "ats.candidate.updated.v1"):
            aggregate = "prospect" if event.type.startswith("crm.") else "candidate"
            self.written_for.setdefault(event.causationid, (kafka.write_time(event, aggregate), event.subject))

    def first_event(self, key: str) -> tuple[str, float] | None:
        return self.ats_created.get(key) or self.crm_updated.get(key)

    def landed(self, key: str | None) -> float | None:
        first = self.first_event(key) if key else None
        return self.written_for[first[0]][0] if first and first[0] in self.written_for else None

    def links(self) -> dict[str, str]:
        """Prospect id -> candidate id of each candidate the gateway carried into the CRM."""
        candidate_of = {event_id: candidate_id for candidate_id, (event_id, _) in self.ats_created.items()}
        return {pid: candidate_of[cause] for cause, (_, pid) in self.written_for.items() if cause in candidate_of}


def _key(body: bytes, *, update: bool) -> str | None:
    """The record id the request was answered with (for an update, with the version it made: its event's
    sequence)."""
    try:
        answer = json.loads(body)
        return f"{answer['id']}:{answer['version']}" if update else str(answer["id"])
    except (ValueError, KeyError, TypeError):
        return None


@dataclass
class Phase:
    direction: str  # "ATS -> CRM" / "CRM -> ATS"
    label: str  # "1/s", "10 %", "25 %", "50 %"
    rate: float
    results: list[Result]
    latencies: list[float]
    floor: list[float]
    lag_end: int | None
    skipped: int = 0
    cpu: dict[str, float] = field(default_factory=dict)  # CPU seconds per part of the stack while the load ran

    def figures(self) -> dict[str, Any]:
        accepted = [r for r in self.results if r.latency != MISSING]
        statuses = Counter(str(r.status) for r in self.results)
        return {"direction": self.direction, "label": self.label, "rate": self.rate, "sent": len(self.results),
                "accepted": len(accepted), "statuses": dict(statuses), "request": summary([r.latency for r in self.results]),
                "sync": summary(self.latencies), "floor": summary(self.floor),
                "lag": lag_verdict([(r.intended, lat) for r, lat in zip(accepted, self.latencies)]),
                "gateway_lag_at_end_of_load": self.lag_end, "backlog_skipped_after": self.skipped,
                "cpu_seconds_during_load": self.cpu}


async def _phase(ctx: Context, seen: Seen, direction: str, label: str, rate: float,
                 linked: dict[str, str], bare: bool = False) -> Phase:
    """One rate for `sync_phase` seconds; `linked`: prospect id -> candidate id (CRM -> ATS updates those
    prospects); `bare`: through the bare pipeline, with the gateway stopped."""
    s, d = ctx.stack, ctx.durations
    run = uuid.uuid4().hex[:8]
    prospects = list(linked)
    if direction == "ATS -> CRM":
        client = HttpClient(s.url("ats"), s.headers)

        def make(i: int) -> Request:
            return Request("POST", "/v1/candidates", {**PERSON, "emails": [f"sync-{run}-{i}@bench.example.com"]},
                           {"Idempotency-Key": f"{run}-{i}"})
    else:
        client = HttpClient(s.url("crm"), s.headers)

        def make(i: int) -> Request:
            # If-Match: * (any version): the bench changes the headline only; the gateway may bump the version
            return Request("PATCH", f"/v1/prospects/{prospects[i % len(prospects)]}", {"headline": f"Headline {run} {i}"},
                           {"If-Match": "*"})
    pipeline = None
    if bare:
        await ctx.quiet_gateway()
        pipeline = BarePipeline(s.bootstrap, s.url("ats"), s.url("crm"), s.headers, s.gateway_key,
                                links=linked if direction == "CRM -> ATS" else None)
        await pipeline.start()
    meter = Components(lambda: _parts(ctx))
    meter.start()
    try:
        results = await open_loop(client, rate, d.sync_phase, make)
    finally:
        await client.close()
        cpu = meter.stop()
    lag_end = None if bare else await kafka.group_lag(s.bootstrap, "sync-gateway", [ATS_CANDIDATES, CRM_PROSPECTS])
    accepted = [r for r in results if r.latency != MISSING]
    keys = [_key(r.body, update=direction != "ATS -> CRM") for r in accepted]

    async def all_landed() -> bool:
        return all(seen.landed(k) is not None for k in keys)
    waited = time.monotonic()
    await wait_for(all_landed, d.sync_wait, interval=0.2)
    if pipeline is not None:
        await pipeline.stop()
    latencies = [(t - r.intended) if (t := seen.landed(k)) is not None else MISSING for r, k in zip(accepted, keys)]
    floor = [first[1] - r.intended if k and (first := seen.first_event(k)) else MISSING for r, k in zip(accepted, keys)]
    phase = Phase(direction, label, rate, results, latencies, floor, lag_end, cpu=cpu)

    async def caught_up() -> bool:  # echo events of its own writes, webhook fan-out: all of it is its work
        return await kafka.total_lag(s.bootstrap, ctx.gateway_groups) == 0
    left = max(1.0, d.sync_wait - (time.monotonic() - waited))
    if bare:  # the gateway's groups skip what the bare pipeline carried; it starts again at the end
        await ctx.quiet_gateway()
        await ctx.start_gateway()
    elif MISSING in latencies or not await wait_for(caught_up, left, interval=0.5):
        # the gateway fell behind: its backlog must not leak into the next phase
        skipped = await ctx.quiet_gateway()
        phase.skipped = sum(skipped.values())
        await ctx.start_gateway()
    f = phase.figures()
    log(f"sync {direction} at {label} ({rate:g}/s): p50 {f['sync']['p50'] * 1000:.0f} ms, p99 "
        f"{f['sync']['p99'] * 1000:.0f} ms, {f['sync']['missing']} of {len(accepted)} not synced within "
        f"{d.sync_wait:g} s of the end, lag flat: {f['lag']['flat']}")
    return phase


def _parts(ctx: Context) -> dict[str, list[int]]:
    """The processes of each part of the stack, now."""
    s = ctx.stack
    parts = {name: descendants(p.proc.pid) for name, p in s.procs.items()
             if name != "bare" and p.proc is not None and p.proc.poll() is None}
    parts["postgresql"] = postgres_pids(s.pg_dir) if s.pg_started else []
    parts["kafka"] = [s.kafka.pid] if s.kafka else []
    parts["bench (load + taps)"] = [os.getpid()]
    return parts


def _cpu_row(phase: Phase, name: str) -> Row | None:
    """CPU of the whole stack per change sent, and how busy the machine was: where the sync's limit lies."""
    cpu, sent = phase.cpu, len(phase.results)
    if not cpu or not sent or phase.label == "1/s":  # at 1/s the idle work of every process would dominate
        return None
    parts = {k: v for k, v in cpu.items() if k not in ("machine busy %", "wall seconds")}
    total = sum(parts.values())
    per = ", ".join(f"{k} {1000 * v / sent:.1f}" for k, v in sorted(parts.items(), key=lambda kv: -kv[1]))
    cores = os.cpu_count() or 1
    return Row("sync", f"{name} CPU per change (whole stack)", total / sent, "ms",
               note=f"ms of CPU per change sent: {per}; machine {cpu['machine busy %']:.0f} % busy during the load; "
                    f"{cores} cores at 100 % would carry at most {cores / (total / sent):.0f} changes/s at this cost "
                    f"(a bound at this rate only: each stage batches what queued while it worked, so a change costs "
                    f"less as the rate grows and the stack takes whatever CPU is free)")


def rows_of(phase: Phase, wait: float) -> list[Row]:
    f = phase.figures()
    sync, floor, lag = f["sync"], f["floor"], f["lag"]
    name = f"{phase.direction} sync at {phase.label}" + (f" ({phase.rate:g}/s)" if phase.label != "1/s" else "")
    targets = {"25 %": {"p50": 0.050, "p99": 0.250}, "50 %": {"p99": 1.0}}.get(phase.label, {})
    notes = []
    if sync["missing"]:
        notes.append(f"{sync['missing']} of {sync['n']} not synced within {wait:g} s after the load ended "
                     f"(counted as never)")
    if f["accepted"] < f["sent"]:
        failed = {k: v for k, v in f["statuses"].items() if not k.startswith("2")}
        notes.append(f"{f['sent'] - f['accepted']} of {f['sent']} requests failed (HTTP status: count, 0 = no "
                     f"answer in 30 s: {failed})")
    if phase.skipped:
        notes.append(f"the gateway had not caught up {wait:g} s after the load: its backlog ({phase.skipped} records, "
                     f"all its consumer groups) was skipped before the next phase")
    lag_note = "" if phase.lag_end is None else f"gateway group lag at the end of the load {phase.lag_end} records; "
    notes.append(f"n={sync['n']}; request p50 {f['request']['p50'] * 1000:.0f} ms; {lag_note}first/last third p50 {lag['first_p50'] * 1000:.0f}/"
                 f"{lag['last_p50'] * 1000:.0f} ms")
    out = [Row("sync", f"{name} {q}", sync[q], "ms", baseline=floor[q], baseline_label="first side's event on Kafka",
               target=targets.get(q), higher_is_better=False, note="; ".join(notes) if q == "p50" else "")
           for q in ("p50", "p95", "p99")]
    out.append(Row("sync", f"{name} lag flat", None if lag["flat"] is None else float(lag["flat"]), "bool",
                   target=1.0 if phase.label in ("25 %", "50 %") else None))
    if (row := _cpu_row(phase, name)) is not None:
        out.append(row)
    return out


async def run(ctx: Context) -> None:
    s, d = ctx.stack, ctx.durations
    if ctx.ats_create_rps is None:
        await ctx.quiet_gateway()
        target = Target(s.url("ats"), "POST", "/v1/candidates", s.headers)
        await saturate(target, d.warmup)
        ctx.ats_create_rps = (await saturate(target, d.saturation))["rps"]
        log(f"sync: ATS create saturation {ctx.ats_create_rps:.0f} req/s")
    sat = ctx.ats_create_rps
    rates = {"1/s": 1.0, **{f"{p} %": max(1.0, round(p / 100 * sat, 1)) for p in (10, 25, 50)}}
    await ctx.quiet_gateway()  # the writes of earlier sections are not synced: no backlog at the start
    await ctx.start_gateway()
    seen = Seen()
    tap = kafka.EventTap(s.bootstrap, [ATS_CANDIDATES, CRM_PROSPECTS], seen)  # opens nothing: asks no service for keys
    await tap.start()
    phases: list[Phase] = []
    try:
        for label, rate in rates.items():
            phases.append(await _phase(ctx, seen, "ATS -> CRM", label, rate, {}))
        linked = seen.links()  # before the bare pipeline's: it links nobody
        if not linked:
            raise RuntimeError("no ATS candidate reached the CRM: nothing linked to update from the CRM side")
        phases.append(await _phase(ctx, seen, "ATS -> CRM", BARE_LABEL, rates["25 %"], {}, bare=True))
        for label, rate in rates.items():
            phases.append(await _phase(ctx, seen, "CRM -> ATS", label, rate, linked))
        phases.append(await _phase(ctx, seen, "CRM -> ATS", BARE_LABEL, rates["25 %"], linked, bare=True))
    finally:
        await tap.stop()
    ctx.details["sync"] = {"ats_create_saturation": sat, "phase_seconds": d.sync_phase, "wait_seconds": d.sync_wait,
                           "phases": [p.figures() for p in phases], "measured_at": time.time()}
    for phase in phases:
        for row in rows_of(phase, d.sync_wait):
            ctx.add(row)
    for row in versus_bare(phases):
        ctx.add(row)


BARE_LABEL = "25 % through the bare pipeline, gateway stopped"


def versus_bare(phases: list[Phase]) -> list[Row]:
    """The gateway's latency at 25 % over the bare pipeline's at the same rate, in each direction: what the product
    adds to the least any gateway must do (`bare_sync`). Where the bare pipeline misses the target, no gateway can
    meet it on this machine."""
    out = []
    for direction, what in (("ATS -> CRM", "one CRM batch create per fetch"),
                            ("CRM -> ATS", "one ATS batch update per fetch, If-Match: *")):
        by_label = {p.label: p for p in phases if p.direction == direction}
        gateway, bare = by_label.get("25 %"), by_label.get(BARE_LABEL)
        if gateway is None or bare is None:
            continue
        g, b = gateway.figures()["sync"], bare.figures()["sync"]
        out += [Row("sync", f"{direction} sync at 25 % {q}: gateway vs bare pipeline", g[q], "ms", baseline=b[q],
                    baseline_label="bare pipeline", higher_is_better=False,
                    note=f"bare pipeline: consume, open the sealed values, {what}; no links, policy, echoes, conflicts "
                         "or exactly-once bookkeeping (tests/bench/bare_sync.py)" if q == "p50" else "")
                for q in ("p50", "p99")]
    return out
