"""Waiting for what happens after a request (a relay publishing, a worker sending): waits that fail loudly."""
from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any


async def wait_until(predicate: Callable[[], Any], timeout: float = 5.0, message: str = "condition",
                     interval: float = 0.05) -> Any:
    """Poll `predicate` (sync or async) until it returns something truthy and return that value.

    Raises AssertionError naming `message` (and the last value seen) when `timeout` seconds pass first: a wait that
    returned the falsy value instead would let a test pass by accident."""
    deadline = time.monotonic() + timeout
    while True:
        last = predicate()
        if inspect.isawaitable(last):
            last = await last
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}; last value: {last!r}")
        await asyncio.sleep(interval)


def wait_until_blocking(predicate: Callable[[], Any], timeout: float = 5.0, message: str = "condition",
                        interval: float = 0.1) -> Any:
    """`wait_until` for code with no event loop (processes, threads): blocks between polls."""
    deadline = time.monotonic() + timeout
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}; last value: {last!r}")
        time.sleep(interval)
