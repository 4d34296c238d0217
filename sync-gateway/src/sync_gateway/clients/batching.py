"""Writes that go out together: while `parallel` batch requests are in flight, new writes wait and then leave as
one batch (the ATS's and CRM's `POST .../batch`: one transaction and one commit for all of them, each item answered
as its single request would be). A write alone goes at once, so batching adds no delay at low load; under load the
batches grow by themselves (group commit), up to `max_items`."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Coalescer(Generic[T, R]):
    """`await coalescer(item)` answers the item's result; items queued meanwhile share one `send(items)` call."""

    def __init__(self, send: Callable[[list[T]], Awaitable[list[R]]], *, max_items: int = 100, parallel: int = 2) -> None:
        self.send, self.max_items, self.parallel = send, max_items, parallel
        self.waiting: list[tuple[T, asyncio.Future[R]]] = []
        self.senders = 0
        self.tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks

    async def __call__(self, item: T) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self.waiting.append((item, future))
        if self.senders < self.parallel:
            self.senders += 1
            task = asyncio.get_running_loop().create_task(self._send_all())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await future

    async def _send_all(self) -> None:
        try:
            while self.waiting:
                batch, self.waiting = self.waiting[:self.max_items], self.waiting[self.max_items:]
                batch = [(item, f) for item, f in batch if not f.done()]  # a caller cancelled meanwhile
                if not batch:
                    continue
                try:
                    results = await self.send([item for item, _ in batch])
                except asyncio.CancelledError:
                    for _, future in batch:
                        future.cancel()
                    raise
                except Exception as exc:  # noqa: BLE001 - every caller of the batch gets the failure (retry, outage, ...)
                    for _, future in batch:
                        if not future.done():
                            future.set_exception(exc)
                    continue
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
        finally:
            self.senders -= 1


def item_failure(result: dict[str, Any]) -> tuple[int, str]:
    """A failed item's status and problem text, as a single request's answer would read."""
    problem = result.get("problem") or {}
    return int(result["status"]), str(problem.get("detail") or problem.get("title") or problem)[:500]
