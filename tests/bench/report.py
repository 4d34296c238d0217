"""The bench's output: one row per figure (value, baseline, ratio, target, met?), printed as a table and written as
JSON with the machine's facts to `.local/bench/bench-<timestamp>.json` and `.local/bench/latest.json`."""
from __future__ import annotations

import json
import math
import os
import platform
import shutil
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .stats import ratio


@dataclass
class Row:
    """One figure. `higher_is_better` tells how `target` (a bound on the value, or on the ratio when `on_ratio`)
    is read; `met` stays None when there is no target."""

    section: str
    figure: str
    value: float | None
    unit: str
    baseline: float | None = None
    baseline_label: str = ""
    target: float | None = None
    on_ratio: bool = False
    higher_is_better: bool = True
    note: str = ""
    ratio: float | None = field(init=False, default=None)
    met: bool | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.ratio = ratio(self.value, self.baseline)
        judged = self.ratio if self.on_ratio else self.value
        if self.target is not None and judged is not None and not math.isnan(judged):
            self.met = judged >= self.target if self.higher_is_better else judged <= self.target


def fmt(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if math.isinf(value):
        return "never" if unit in ("s", "ms") else "inf"
    if unit == "ms":
        if value < 0.01:  # CPU per item: a fraction of a millisecond matters
            return f"{value * 1000:,.2f} ms"
        return f"{value * 1000:,.0f} ms" if value < 10 else f"{value:,.1f} s"
    if unit == "s":
        return f"{value:,.1f} s"
    if unit == "%":
        return f"{value:.1f} %"
    if unit == "bool":
        return "yes" if value else "no"
    return f"{value:,.1f} {unit}" if value < 100 else f"{value:,.0f} {unit}"


def target_text(row: Row) -> str:
    if row.target is None:
        return ""
    op = ">=" if row.higher_is_better else "<="
    return f"{op} {row.target:g} x" if row.on_ratio else f"{op} {fmt(row.target, row.unit)}"


def render(rows: list[Row]) -> str:
    """The table, one line per figure, grouped by section."""
    header = ("figure", "value", "baseline", "ratio", "target", "met?")
    lines: list[tuple[str, ...]] = []
    for row in rows:
        baseline = f"{fmt(row.baseline, row.unit)}" + (f" ({row.baseline_label})" if row.baseline_label else "")
        lines.append((f"[{row.section}] {row.figure}", fmt(row.value, row.unit),
                      baseline if row.baseline is not None else f"n/a ({row.baseline_label})" if row.baseline_label else "",
                      f"{row.ratio:.2f}" if row.ratio is not None else "", target_text(row),
                      {True: "yes", False: "NO", None: ""}[row.met]))
    widths = [max(len(r[i]) for r in (header, *lines)) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(line, widths)) for line in lines]
    notes = [f"  [{r.section}] {r.figure}: {r.note}" for r in rows if r.note]
    return "\n".join(out + (["", "notes:", *notes] if notes else []))


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _git(repo: Path, *args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return ""


def loadavg() -> list[str]:
    """The 1, 5 and 15 minute load averages: other work on the machine shows here."""
    return _read("/proc/loadavg").split()[:3]


def machine_facts(repo: Path, *, postgres: str = "", kafka_libs: Path | None = None) -> dict[str, Any]:
    """CPU, cores, RAM, kernel, Python, PostgreSQL, Kafka, wrk and the git commit the figures belong to."""
    cpu = next((ln.split(":", 1)[1].strip() for ln in _read("/proc/cpuinfo").splitlines()
                if ln.startswith("model name")), platform.processor())
    mem_kb = next((int(ln.split()[1]) for ln in _read("/proc/meminfo").splitlines() if ln.startswith("MemTotal")), 0)
    kafka = ""
    if kafka_libs is not None:
        jar = next(iter(sorted(kafka_libs.glob("kafka_2.13-*.jar"))), None)
        kafka = jar.stem.removeprefix("kafka_2.13-") if jar else ""
    wrk = ""
    if shutil.which("wrk"):
        first = subprocess.run(["wrk", "--version"], capture_output=True, text=True, check=False)
        wrk = (first.stdout or first.stderr).splitlines()[0] if (first.stdout or first.stderr) else "wrk"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": platform.release(), "python": platform.python_version(), "postgresql": postgres,
        "kafka": kafka, "wrk": wrk, "git_commit": _git(repo, "rev-parse", "HEAD"),
        "git_branch": _git(repo, "rev-parse", "--abbrev-ref", "HEAD"),
        "git_dirty": bool(_git(repo, "status", "--porcelain", "--untracked-files=no")),
        "loadavg_at_start": loadavg(),
    }


def write(repo: Path, stamp: str, payload: dict[str, Any]) -> Path:
    """bench-<stamp>.json and latest.json under .local/bench/."""
    out_dir = repo / ".local" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"bench-{stamp}.json"
    payload = {**payload, "rows": [asdict(r) if isinstance(r, Row) else r for r in payload.get("rows", [])]}
    text = json.dumps(_clean(payload), indent=2, default=str)
    path.write_text(text)
    (out_dir / "latest.json").write_text(text)
    return path


def _clean(value: Any) -> Any:
    """JSON has no infinity: a latency that never completed becomes null (its row says `missing`)."""
    if isinstance(value, float) and (math.isinf(value) or math.isnan(value)):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value
