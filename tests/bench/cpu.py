"""CPU accounting from /proc: a process's CPU time, the PostgreSQL processes of a data dir, and how much of the
machine other work (another engineer's tests, say) took while a section ran, since that skews every figure."""
from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int, *, children: bool = False) -> float:
    """User + system CPU time of a process so far (0 when it is gone); with `children`, of its waited-for
    children too (wrk, the backfill CLI)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime, stime, cutime, cstime: fields 14-17 of proc(5), counted from after the command name
    return sum(int(f) for f in fields[11:15 if children else 13]) / TICKS


def postgres_pids(data_dir: Path) -> list[int]:
    """The postmaster and every backend and worker under it."""
    try:
        postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    pids = [postmaster]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                pids.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return pids


def _machine() -> tuple[float, float, float]:
    """(busy, steal, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    # user nice system idle iowait irq softirq steal
    v = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / TICKS, v[7] / TICKS, sum(v) / TICKS


class Monitor:
    """Samples, every second while a section runs, the CPU of the whole machine and of the bench's own processes
    (`pids()`: the services, PostgreSQL's backends, Kafka, the bench itself and its waited-for children). A process
    first seen mid-section counts from its start; one that ends loses at most its last second."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids = pids
        self.task: asyncio.Task[None] | None = None
        self.machine0, self.ours, self.last, self.started = (0.0, 0.0, 0.0), 0.0, dict[int, float](), False

    def _sample(self) -> None:
        for pid in set(self.pids()) | {os.getpid()}:
            now = cpu_seconds(pid, children=pid == os.getpid())
            self.ours += now - self.last.get(pid, 0.0 if self.started else now)
            self.last[pid] = now
        self.started = True

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(1)
            self._sample()

    def start(self) -> None:
        self.machine0, self.ours, self.last, self.started = _machine(), 0.0, {}, False
        self._sample()
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> dict[str, float]:
        """% of the whole machine (all cores) used by the bench's processes, by everything else, and stolen."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        self._sample()
        busy, steal, total = (b - a for a, b in zip(self.machine0, _machine()))
        total = max(total, 1e-9)
        return {"bench_pct": 100 * self.ours / total, "others_pct": max(0.0, 100 * (busy - self.ours) / total),
                "steal_pct": 100 * steal / total}


def descendants(pid: int) -> list[int]:
    """A process and every process under it (the CRM's embedding process, the multiprocessing helper)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found, todo = [pid], [pid]
    while todo:
        current = todo.pop()
        kids = [p for p, parent in parents.items() if parent == current]
        found += kids
        todo += kids
    return found


class Components:
    """CPU seconds of each part of the stack between `start()` and `stop()`: the services (with their child
    processes), PostgreSQL (every backend), Kafka, the bench itself (load generator and taps), and the machine."""

    def __init__(self, parts: Callable[[], dict[str, list[int]]]) -> None:
        self.parts = parts
        self.before: dict[str, dict[int, float]] = {}
        self.machine_before = (0.0, 0.0)

    def _now(self) -> dict[str, dict[int, float]]:
        return {name: {pid: cpu_seconds(pid) for pid in pids} for name, pids in self.parts().items()}

    def start(self) -> None:
        self.before = self._now()
        busy, _, total = _machine()
        self.machine_before = (busy, total)

    def stop(self) -> dict[str, float]:
        """CPU seconds per part (a process that started meanwhile counts from zero), plus `machine busy %`."""
        after = self._now()
        out = {name: sum(t - self.before.get(name, {}).get(pid, 0.0) for pid, t in times.items())
               for name, times in after.items()}
        busy, _, total = _machine()
        wall = (total - self.machine_before[1]) / (os.cpu_count() or 1)
        out["machine busy %"] = 100 * (busy - self.machine_before[0]) / max(total - self.machine_before[1], 1e-9)
        out["wall seconds"] = wall
        return out
