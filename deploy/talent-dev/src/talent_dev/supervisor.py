"""A small process supervisor for the local stack (`make run`): a child that exits is started again after an
exponential backoff (1 s, 2 s, 4 s ... up to 30 s; back to 1 s once it had stayed up a minute), and every exit and
restart is said on the console, as a process manager would. The other children are never touched."""
from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Child:
    """One supervised process: how to start it, the running process, and its restart history."""

    name: str
    start: Callable[[], subprocess.Popen]  # type: ignore[type-arg]
    proc: subprocess.Popen | None = None  # type: ignore[type-arg]
    started_at: float = 0.0
    restarts: int = 0
    failures_in_a_row: int = 0
    due_at: float | None = field(default=None, repr=False)  # when a child that exited starts again


class Supervisor:
    """Keeps its children running; `check()` once in a while (the stack's watch loop) does the work."""

    def __init__(self, say: Callable[[str], None], *, base_delay: float = 1.0, max_delay: float = 30.0,
                 stable_after: float = 60.0, on_start: Callable[[Child], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.say, self.base_delay, self.max_delay, self.stable_after = say, base_delay, max_delay, stable_after
        self.on_start, self.clock = on_start, clock
        self.children: list[Child] = []

    def add(self, name: str, start: Callable[[], subprocess.Popen]) -> Child:  # type: ignore[type-arg]
        """Start a child and keep it running from now on."""
        child = Child(name, start)
        self.children.append(child)
        self._start(child)
        return child

    def check(self) -> None:
        """Notice children that exited (schedule their restart) and start those whose backoff has run out."""
        now = self.clock()
        for child in self.children:
            if child.due_at is None and child.proc is not None and child.proc.poll() is not None:
                up = now - child.started_at
                child.failures_in_a_row = 1 if up >= self.stable_after else child.failures_in_a_row + 1
                delay = min(self.max_delay, self.base_delay * 2 ** (child.failures_in_a_row - 1))
                child.due_at = now + delay
                self.say(f"{child.name} exited with {_exit(child.proc.returncode)} after {up:.0f}s; "
                         f"restarting in {delay:.0f}s (restart {child.restarts + 1}); the others keep running")
            if child.due_at is not None and now >= child.due_at:
                child.due_at = None
                child.restarts += 1
                try:
                    self._start(child)
                except Exception as exc:  # noqa: BLE001 - a failed start is one more crash: backed off again
                    self.say(f"{child.name} could not be started: {exc}")
                    child.started_at = now
                    continue
                self.say(f"{child.name} restarted (pid {child.proc.pid}, restart {child.restarts})")  # type: ignore[union-attr]

    def stop_all(self, timeout: float = 15.0, say_stopped: bool = True) -> None:
        """SIGTERM every child (last started first), then SIGKILL those still running after `timeout`."""
        running = [c for c in reversed(self.children) if c.proc is not None and c.proc.poll() is None]
        for child in running:
            child.proc.terminate()  # type: ignore[union-attr]
        for child in reversed(self.children):
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                child.proc.kill()
                child.proc.wait()
            if say_stopped:
                self.say(f"{child.name} stopped")

    def _start(self, child: Child) -> None:
        child.proc = child.start()
        child.started_at = self.clock()
        if self.on_start is not None:
            self.on_start(child)


def _exit(code: int | None) -> str:
    return f"signal {-code}" if code is not None and code < 0 else f"code {code}"
