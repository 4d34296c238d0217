"""What every section gets: the stack, the durations of this run (full or `--quick`), the rows it adds and the
figures later sections reuse (the ATS and CRM create saturation)."""
from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from . import kafka
from .report import Row
from .stack import BenchStack, log

BUDGET_S = 15 * 60  # the whole run, stack start and tear-down included


@dataclass(frozen=True)
class Durations:
    warmup: float = 2  # s of load before each saturation run, discarded
    saturation: float = 10  # s per closed-loop saturation run
    open_loop: float = 8  # s per open-loop latency run
    idle: float = 10  # s over which idle CPU is measured
    sync_phase: float = 25  # s of open-loop load per sync rate and direction
    sync_wait: float = 20  # s to wait after a phase for events still in flight
    drain_people: int = 5000  # people in the backlog (a create and an update each: 2 events per person)
    drain_cap: float = 120  # s the gateway gets to drain; beyond, the rate so far is extrapolated
    backfill_people: int = 100_000
    backfill_cap: float = 130  # s the backfill gets (just over its 120 s target); beyond, the rate is extrapolated
    search_people: int = 100_000  # prospects, and as many candidates with resume text
    search_distinct_texts: int = 1000  # profile texts the model embeds (the vectors of the rest derive from them)
    search_queries: int = 200  # queries per measured figure
    search_resumes: int = 40  # two-page PDFs parsed

    @classmethod
    def quick(cls) -> Durations:
        """A smoke run of every section in a few minutes (figures are indicative only)."""
        return cls(warmup=1, saturation=3, open_loop=3, idle=3, sync_phase=6, sync_wait=10, drain_people=300,
                   drain_cap=30, backfill_people=5000, backfill_cap=20, search_people=5000, search_distinct_texts=300,
                   search_queries=40, search_resumes=10)


@dataclass
class Context:
    stack: BenchStack
    durations: Durations
    gateway_concurrency: int
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    ats_create_rps: float | None = None  # saturation of ATS POST /v1/candidates (the sync rates are fractions of it)
    crm_create_rps: float | None = None  # saturation of CRM POST /v1/prospects (the ceiling of any drain)
    gateway_groups: set[str] = field(default_factory=set)
    deadline: float = field(default_factory=lambda: time.monotonic() + BUDGET_S)

    def cap(self, seconds: float, reserve: float = 30) -> float:
        """`seconds`, or less when the run's 15-minute budget (minus `reserve` for tear-down) would be overrun."""
        return max(5.0, min(seconds, self.deadline - time.monotonic() - reserve))

    def add(self, row: Row) -> None:
        self.rows.append(row)

    async def discover_gateway_groups(self, timeout: float = 20) -> None:
        """Remember the consumer groups the running gateway joined (an empty group without offsets vanishes from
        the broker once its members stop, and would then re-read every topic from the start)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = await kafka.active_groups(self.stack.bootstrap)
            if found:
                await asyncio.sleep(2)  # the other workers of the gateway join a moment later
                self.gateway_groups |= await kafka.active_groups(self.stack.bootstrap)
                log(f"gateway consumer groups: {', '.join(sorted(self.gateway_groups))}")
                return
            await asyncio.sleep(0.5)
        log("WARNING: no gateway consumer group seen; backlogs between sections cannot be skipped")

    async def quiet_gateway(self) -> dict[str, int]:
        """Stop the gateway and move its consumer groups to the end of every topic: the next measurement starts
        with no backlog (events written before it are never synced; the bench does not need them)."""
        await asyncio.to_thread(self.stack.stop_gateway)
        return await kafka.skip_to_end(self.stack.bootstrap, self.gateway_groups)

    async def start_gateway(self) -> float:
        """Start the gateway (when stopped); the wall-clock time it answered /readyz."""
        return await asyncio.to_thread(self.stack.start_gateway)


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float, interval: float = 0.5) -> bool:
    """Poll `check` until it is true (True) or `timeout` seconds pass (False)."""
    deadline = time.monotonic() + timeout
    while True:
        if await check():
            return True
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(interval)
