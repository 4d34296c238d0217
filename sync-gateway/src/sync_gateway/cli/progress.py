"""Progress of a long command on stderr."""
from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO

OUTCOMES = ("created", "linked", "resynced", "unlinked", "merged", "erased", "skipped", "failed")


class Progress:
    """One status line on stderr: a bar for the current page (list endpoints give no total), running counts
    and the rate. Redrawn in place on a terminal; one line per page otherwise (logs, CI)."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 20) -> None:
        self.label, self.stream, self.width = label, stream or sys.stderr, width
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.page_no, self.page_size, self.in_page, self.done = 0, 0, 0, 0
        self.counts: Counter[str] = Counter()
        self._last_draw = 0.0

    def new_page(self, size: int) -> None:
        self.page_no, self.page_size, self.in_page = self.page_no + 1, size, 0
        if self.tty:
            self._draw(force=True)

    def step(self, outcome: str) -> None:
        self.in_page += 1
        self.done += 1
        self.counts[outcome] += 1
        if self.tty:
            self._draw()

    def end_page(self) -> None:
        self._draw(force=True, newline=not self.tty)

    def close(self) -> None:
        if self.tty and self.page_no:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        filled = self.width if not self.page_size else round(self.width * self.in_page / self.page_size)
        bar = "#" * filled + "-" * (self.width - filled)
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        counts = " ".join(f"{name} {self.counts[name]}" for name in OUTCOMES if self.counts[name])
        return (f"{self.label} page {self.page_no} [{bar}] {self.in_page}/{self.page_size} | {self.done} done"
                f"{' | ' + counts if counts else ''} | {rate:.1f}/s")

    def _draw(self, force: bool = False, newline: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
        else:
            self.stream.write(self.line() + ("\n" if newline else ""))
        self.stream.flush()
