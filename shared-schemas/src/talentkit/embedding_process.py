"""Background (bulk) embeddings in a separate, lower-priority OS process.

The numpy forward pass of `talentkit.embeddings` is CPU-bound. Run in a thread of a service it competes with the
request path twice: for the GIL (numpy holds it between its matrix products) and for the machine's cores at the
same priority. Writes and real-time sync come first; a semantic index that is a second or a few seconds staler
costs little. So background work (the CRM's embedding worker) hands its batches to `BackgroundEmbedder`: one child
process, started with `spawn` (a clean interpreter, not a fork of a process holding an event loop, sockets and
threads), niced (10 by default: the kernel gives the cores to the service first), with BLAS/OpenMP limited to one
thread (one core at most, even when the machine has more) and the model loaded there once.

Latency-sensitive single texts (a search query, a resume being uploaded) stay in-process in a thread: a round
trip to a niced process would only make the waiting request slower.

    background = BackgroundEmbedder()          # nothing started yet
    vectors = await background.embed(texts)    # the first call spawns the process and loads the model
    background.close()                         # at shutdown

This module is what the child imports to run `_start` and `_embed`, so it must not import numpy or
`talentkit.embeddings` at module level: the thread limits only apply if they are in the environment before numpy
(and its BLAS) is first imported in the child. `spawn` also re-imports the parent's main module in the child (as
`__mp_main__`): uvicorn's and pytest's are harmless; a script using this must keep its work under
`if __name__ == "__main__":`.
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Sequence
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger("talentkit.embedding_process")

DEFAULT_NICE = 10
THREAD_LIMITS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_numpy_before_start: bool | None = None  # in the child: was numpy imported before `_start` set the thread limits?


class BackgroundEmbedder:
    """`Embedder.embed` in one lower-priority child process (lazily started on the first `embed`).

    A child that dies (killed, out of memory) breaks the pool: the next `embed` replaces it once and retries; a
    second failure is raised (the caller's work stays queued and is tried again later). `close()` stops the child;
    a later `embed` would start a new one. On Linux the child also asks the kernel to end it when the thread that
    started it (the event loop's) ends, so a crashed service leaves no orphan holding a core."""

    def __init__(self, *, nice: int = DEFAULT_NICE) -> None:
        self.nice = nice
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _executor(self) -> concurrent.futures.ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                self._pool = concurrent.futures.ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                    initializer=_start, initargs=(self.nice, os.getpid()))
            return self._pool

    def _discard(self, pool: concurrent.futures.ProcessPoolExecutor) -> None:
        """Forget a broken pool (unless a concurrent caller already replaced it)."""
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    async def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit-length float32 vectors, one row per text, computed in the child process."""
        texts = list(texts)
        if not texts:  # nothing to compute: no reason to start a process
            import numpy as np

            from talentkit.embeddings import DIMENSIONS

            return np.zeros((0, DIMENSIONS), dtype=np.float32)
        loop = asyncio.get_running_loop()
        pool = self._executor()
        try:
            return await loop.run_in_executor(pool, _embed, texts)
        except BrokenProcessPool:
            log.warning("embedding process died; starting a new one", extra={"texts": len(texts)})
            self._discard(pool)
            return await loop.run_in_executor(self._executor(), _embed, texts)

    def pid(self) -> int | None:
        """The child's process id, if it runs (for tests and diagnostics)."""
        pool = self._pool
        processes = getattr(pool, "_processes", None) or {}
        return next(iter(processes), None)

    def close(self) -> None:
        """Stop the child (waits for a batch it is computing; queued ones are cancelled). Blocking: from async code
        call it with `asyncio.to_thread`."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


# --- in the child -----------------------------------------------------------------------------------------------

def _start(nice: int, parent: int) -> None:
    """The child's initializer: thread limits before numpy, lower priority, die with the parent, load the model."""
    global _numpy_before_start
    _numpy_before_start = "numpy" in sys.modules
    if _numpy_before_start:  # something imported it first: its BLAS may have sized its thread pool already
        log.warning("numpy was imported before the embedding process limited its threads")
    for name in THREAD_LIMITS:
        os.environ[name] = "1"
    if nice:
        os.nice(nice)
        _own_autogroup(nice)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group: the parent stops us
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        except (OSError, AttributeError):
            pass
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)
    from talentkit.embeddings import embedder

    embedder()


def _own_autogroup(nice: int) -> None:
    """Make the niceness count against the other services too. With the kernel's autogroup scheduling (on by
    default in most Linux distributions), the CPU is shared first between sessions and only then between the
    processes of one session by their nice value. The services run in sessions of their own, so a niced child in
    the service's session took the cores from PostgreSQL, Kafka and the other services as if it were not niced:
    measured at 163 headline changes/s, the child took 4 ms of CPU per change, two thirds of a core, on a full
    machine. In a session of its own, whose group is niced too, it gets what the rest leaves. (Under a cgroup CPU
    controller, as in a container, autogroup does not apply and the nice value works within the container.)"""
    path = "/proc/self/autogroup"
    if not os.path.exists(path):
        return
    try:
        os.setsid()  # a new session is a new autogroup; the child is never a group leader, so this succeeds
        with open(path, "w") as f:
            f.write(str(nice))
    except OSError as e:
        log.warning("the embedding process could not lower its autogroup's priority: %s", e)


def _embed(texts: list[str]) -> Any:
    from talentkit.embeddings import embedder

    return embedder().embed(texts)


def _autogroup() -> str | None:
    try:
        with open("/proc/self/autogroup") as f:
            return f.read().strip()
    except OSError:
        return None


def _facts() -> dict[str, Any]:
    """What the tests check about the child: its pid, niceness and thread limits."""
    return {"pid": os.getpid(), "nice": os.nice(0), "autogroup": _autogroup(), "env": {n: os.environ.get(n) for n in THREAD_LIMITS},
            "numpy_before_start": _numpy_before_start}
