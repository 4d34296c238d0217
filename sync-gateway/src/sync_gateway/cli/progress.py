"""Progress of a long command on stderr."""
from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Mapping
from typing import TextIO

OUTCOMES = ("created", "linked", "resynced", "unlinked", "merged", "erased", "skipped", "failed")


class Progress:
    """A progress bar on stderr: records done of the total (when the side said how many it holds), running
    counts per outcome, the rate and the time left. Redrawn in place on a terminal (at most 10 times a second);
    elsewhere (logs, CI) a plain line every `every` seconds and at the end."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30, every: float = 2.0,
                 done: int = 0) -> None:
        self.label, self.stream, self.width, self.every = label, stream or sys.stderr, width, every
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.total: int | None = None
        self.earlier, self.done, self.pages = done, done, 0
        self.counts: Counter[str] = Counter()
        self._last_draw: float | None = None  # never drawn: the first page draws whatever the clock says

    def page(self, records: int, counts: Mapping[str, int]) -> None:
        """A page of `records` finished with these outcomes."""
        self.pages += 1
        self.done += records
        self.counts.update(counts)
        self._draw()

    def close(self) -> None:
        """The final line (and the end of the redrawn one)."""
        if self.pages:
            self._draw(force=True)
            if self.tty:
                self.stream.write("\n")
                self.stream.flush()

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        rate = (self.done - self.earlier) / elapsed
        counts = " ".join(f"{name} {self.counts[name]:,}" for name in OUTCOMES if self.counts[name])
        if self.total:
            share = min(self.done / self.total, 1.0)
            filled = round(self.width * share)
            left = (self.total - self.done) / rate if rate > 0 and self.done < self.total else 0.0
            head = (f"{self.label} [{'#' * filled}{'-' * (self.width - filled)}] {share:4.0%} "
                    f"{self.done:,}/{self.total:,}")
            tail = f" | {rate:,.0f}/s | {_clock(elapsed)} elapsed, {_clock(left)} left"
        else:
            head, tail = f"{self.label} {self.done:,} done", f" | {rate:,.0f}/s | {_clock(elapsed)} elapsed"
        return f"{head} ({self.pages} pages){' | ' + counts if counts else ''}{tail}"

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and self._last_draw is not None and now - self._last_draw < (0.1 if self.tty else self.every):
            return
        self._last_draw = now
        self.stream.write(("\r\x1b[2K" + self.line()) if self.tty else self.line() + "\n")
        self.stream.flush()


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
