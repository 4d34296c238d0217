"""Sync section: ATS -> CRM and CRM -> ATS sync latency at open-loop rates (1/s, 25 % and 50 % of the ATS's
candidate-create saturation), and whether it stays flat.

Nothing polls the services while a phase runs: a tap on the topics sees each change land on the other side. The
latency of a person is the other side's write time (`updated_at` of the record in its event) minus the intended
send time of the request that started it. The baseline is the floor no gateway can beat: until the first side's
event is on Kafka (its record timestamp) the gateway cannot know about the change."""
from __future__ import annotations

import os
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import ATS_CANDIDATES, CRM_PROSPECTS

from . import kafka
from .context import Context, wait_for
from .cpu import Components, descendants, postgres_pids
from .load import HttpClient, Request, Result, open_loop
from .report import Row
from .saturation import PERSON, Target, saturate
from .stack import log
from .stats import MISSING, lag_verdict, summary


@dataclass
class Seen:
    """What the tap saw, keyed the way the requests are tagged (an email, a headline)."""

    prospect_of: dict[str, tuple[float, str]] = field(default_factory=dict)  # email -> (CRM write time, prospect id)
    on_kafka: dict[str, float] = field(default_factory=dict)  # email / headline -> when the first side's event hit Kafka
    ats_headline: dict[str, float] = field(default_factory=dict)  # headline -> ATS write time

    def __call__(self, event: EventEnvelope, published: float) -> None:
        data = event.data if isinstance(event.data, dict) else {}
        if event.type == "ats.candidate.created.v1":
            for email in (data.get("candidate") or {}).get("emails") or ():
                self.on_kafka.setdefault(email, published)
        elif event.type == "crm.prospect.created.v1":
            prospect = data.get("prospect") or {}
            for email in prospect.get("emails") or ():
                self.prospect_of.setdefault(email, (kafka.write_time(event, "prospect"), str(prospect.get("id"))))
        elif event.type == "crm.prospect.updated.v1" and "headline" in (data.get("changes") or {}):
            self.on_kafka.setdefault(str(data["changes"]["headline"].get("after")), published)
        elif event.type == "ats.candidate.updated.v1" and "headline" in (data.get("changes") or {}):
            self.ats_headline.setdefault(str(data["changes"]["headline"].get("after")), kafka.write_time(event, "candidate"))


@dataclass
class Phase:
    direction: str  # "ATS -> CRM" / "CRM -> ATS"
    label: str  # "1/s", "25 %", "50 %"
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
                 linked: list[str]) -> Phase:
    s, d = ctx.stack, ctx.durations
    run = uuid.uuid4().hex[:8]
    if direction == "ATS -> CRM":
        client = HttpClient(s.url("ats"), s.headers)

        def make(i: int) -> Request:
            email = f"sync-{run}-{i}@bench.example.com"
            return Request("POST", "/v1/candidates", {**PERSON, "emails": [email]}, {"Idempotency-Key": f"{run}-{i}"},
                           tag=email)

        def landed(tag: str) -> float | None:
            return seen.prospect_of[tag][0] if tag in seen.prospect_of else None
    else:
        client = HttpClient(s.url("crm"), s.headers)

        def make(i: int) -> Request:
            headline = f"Headline {run} {i}"
            # If-Match: * (any version): the bench changes the headline only; the gateway may bump the version
            return Request("PATCH", f"/v1/prospects/{linked[i % len(linked)]}", {"headline": headline},
                           {"If-Match": "*"}, tag=headline)

        def landed(tag: str) -> float | None:
            return seen.ats_headline.get(tag)
    meter = Components(lambda: _parts(ctx))
    meter.start()
    try:
        results = await open_loop(client, rate, d.sync_phase, make)
    finally:
        await client.close()
        cpu = meter.stop()
    lag_end = await kafka.group_lag(s.bootstrap, "sync-gateway", [ATS_CANDIDATES, CRM_PROSPECTS])
    accepted = [r for r in results if r.latency != MISSING]

    async def all_landed() -> bool:
        return all(landed(r.tag) is not None for r in accepted)
    waited = time.monotonic()
    await wait_for(all_landed, d.sync_wait, interval=0.2)
    latencies = [(t - r.intended) if (t := landed(r.tag)) is not None else MISSING for r in accepted]
    floor = [seen.on_kafka[r.tag] - r.intended if r.tag in seen.on_kafka else MISSING for r in accepted]
    phase = Phase(direction, label, rate, results, latencies, floor, lag_end, cpu=cpu)

    async def caught_up() -> bool:  # echo events of its own writes, webhook fan-out: all of it is its work
        return await kafka.total_lag(s.bootstrap, ctx.gateway_groups) == 0
    left = max(1.0, d.sync_wait - (time.monotonic() - waited))
    if MISSING in latencies or not await wait_for(caught_up, left, interval=0.5):
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
                    f"{cores} cores at 100 % would carry at most {cores / (total / sent):.0f} changes/s at this cost")


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
    notes.append(f"n={sync['n']}; request p50 {f['request']['p50'] * 1000:.0f} ms; gateway group lag at the end of the load "
                 f"{phase.lag_end} records; first/last third p50 {lag['first_p50'] * 1000:.0f}/"
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
    rates = {"1/s": 1.0, "25 %": max(1.0, round(0.25 * sat, 1)), "50 %": max(1.0, round(0.5 * sat, 1))}
    await ctx.quiet_gateway()  # the writes of earlier sections are not synced: no backlog at the start
    await ctx.start_gateway()
    seen = Seen()
    tap = kafka.EventTap(s.bootstrap, [ATS_CANDIDATES, CRM_PROSPECTS], seen, *s.key_service())
    await tap.start()
    phases: list[Phase] = []
    try:
        for label, rate in rates.items():
            phases.append(await _phase(ctx, seen, "ATS -> CRM", label, rate, []))
        linked = [pid for _, pid in seen.prospect_of.values()]
        if not linked:
            raise RuntimeError("no ATS candidate reached the CRM: nothing linked to update from the CRM side")
        for label, rate in rates.items():
            phases.append(await _phase(ctx, seen, "CRM -> ATS", label, rate, linked))
    finally:
        await tap.stop()
    ctx.details["sync"] = {"ats_create_saturation": sat, "phase_seconds": d.sync_phase, "wait_seconds": d.sync_wait,
                           "phases": [p.figures() for p in phases], "measured_at": time.time()}
    for phase in phases:
        for row in rows_of(phase, d.sync_wait):
            ctx.add(row)
