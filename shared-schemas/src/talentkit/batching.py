"""Work that goes out together: while `parallel` sends are in flight, new items wait and then leave as one batch
(the gateway's writes to the ATS's and CRM's `POST .../batch`; a consumer's effects in one transaction). An item
alone goes at once, so batching adds no delay at low load; under load the batches grow by themselves (group
commit), up to `max_items`."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

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
