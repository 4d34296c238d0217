"""Group commit for a consumer's effects: events applied at about the same time (different keys: a key's next
event waits for its previous one) share one transaction, with one multi-row processed-events insert, instead of a
BEGIN, a claim and a COMMIT each. An event alone commits at once, so grouping adds no delay at low load; under load
the groups grow by themselves, up to `max_events`. When a group's transaction fails, its events are committed one
by one, so one event's failure (a lost race, a constraint) is that event's alone."""
from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy import ARRAY, Table, Text, bindparam, func, literal, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Effects = Callable[[AsyncSession], Awaitable[None]]


class GroupCommitter:
    """`await committer(event_id, effects)`: True when the effects committed with the event's processed row, False
    when the row existed (applied before, by us or another member: the effects never ran)."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], table: Table, consumer: str,
                 max_events: int = 64, parallel: int = 2) -> None:
        self.sessions, self.table, self.consumer = sessions, table, consumer
        self.max_events, self.parallel = max_events, parallel
        self.waiting: list[tuple[str, Effects, asyncio.Future[bool]]] = []
        self.committing = 0
        self.tasks: set[asyncio.Task[None]] = set()  # the loop keeps only weak references to tasks
        self.groups = 0  # transactions run (for tests and metrics)
        # one statement whatever the group's size (a VALUES list per size would be compiled and prepared per size)
        self._claim = (insert(table).from_select(
            ["consumer", "event_id"], select(literal(consumer, Text), func.unnest(bindparam("ids", type_=ARRAY(Text)))))
            .on_conflict_do_nothing().returning(table.c.event_id))

    async def __call__(self, event_id: str, effects: Effects) -> bool:
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self.waiting.append((event_id, effects, future))
        if self.committing < self.parallel:
            self.committing += 1
            task = asyncio.get_running_loop().create_task(self._commit_all())
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await future

    async def _commit_all(self) -> None:
        try:
            while self.waiting:
                group, self.waiting = self.waiting[:self.max_events], self.waiting[self.max_events:]
                group = [g for g in group if not g[2].done()]  # a waiter cancelled meanwhile: its event is retried
                if not group:
                    continue
                try:
                    results = await self._commit(group)
                except asyncio.CancelledError:
                    for *_, future in group:
                        future.cancel()
                    raise
                except Exception as exc:  # noqa: BLE001 - whose fault it was shows when each commits alone
                    if len(group) == 1:
                        _settle(group[0][2], exc=exc)
                        continue
                    for item in group:
                        try:
                            [result] = await self._commit([item])
                        except asyncio.CancelledError:
                            raise
                        except Exception as one:  # noqa: BLE001 - this event's own failure, for its retry logic
                            _settle(item[2], exc=one)
                        else:
                            _settle(item[2], result)
                    continue
                for (*_, future), result in zip(group, results, strict=True):
                    _settle(future, result)
        finally:
            self.committing -= 1

    async def _commit(self, group: list[tuple[str, Effects, asyncio.Future[bool]]]) -> list[bool]:
        async with self.sessions() as session, session.begin():
            claimed = set((await session.execute(self._claim, {"ids": [event_id for event_id, _, _ in group]})).scalars())
            for event_id, effects, _ in group:
                if event_id in claimed:
                    await effects(session)
        self.groups += 1
        return [event_id in claimed for event_id, _, _ in group]


def _settle(future: asyncio.Future[bool], result: bool = False, *, exc: BaseException | None = None) -> None:
    if future.done():
        return
    if exc is not None:
        future.set_exception(exc)
    else:
        future.set_result(result)
