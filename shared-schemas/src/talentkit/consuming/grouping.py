"""Group commit for a consumer's effects: events applied at about the same time (different keys: a key's next
event waits for its previous one) share one transaction, with one processed-events insert, instead of a BEGIN, a
claim and a COMMIT each (`talentkit.batching.Coalescer` gathers them: an event alone commits at once, so grouping
adds no delay at low load). When a group's transaction fails, its events are committed one by one, so one event's
failure (a lost race, a constraint) is that event's alone."""
from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentkit.batching import Coalescer
from talentkit.consuming import processed

Effects = Callable[[AsyncSession], Awaitable[None]]
Item = tuple[str, Effects]  # (event id, its effects)


class GroupCommitter:
    """`await committer(event_id, effects)`: True when the effects committed with the event's processed row, False
    when the row existed (applied before, by us or another member: the effects never ran)."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], table: Table, consumer: str,
                 max_events: int = 64, parallel: int = 2) -> None:
        self.sessions = sessions
        self.groups = 0  # transactions committed (for tests and metrics)
        self._coalescer: Coalescer[Item, bool | Exception] = Coalescer(self._commit_group, max_items=max_events,
                                                                       parallel=parallel)
        # one statement whatever the group's size (a VALUES list per size would be compiled and prepared per size)
        self._claim = processed.claim_many(table, consumer)

    async def __call__(self, event_id: str, effects: Effects) -> bool:
        result = await self._coalescer((event_id, effects))
        if isinstance(result, Exception):
            raise result
        return result

    async def _commit_group(self, group: list[Item]) -> list[bool | Exception]:
        try:
            return list(await self._commit(group))
        except Exception:
            if len(group) == 1:
                raise  # the coalescer hands it to the event's caller
        out: list[bool | Exception] = []
        for item in group:  # whose fault it was shows when each commits alone
            try:
                out += await self._commit([item])
            except Exception as exc:  # noqa: BLE001 - this event's own failure, for its retry logic
                out.append(exc)
        return out

    async def _commit(self, group: list[Item]) -> list[bool]:
        async with self.sessions() as session, session.begin():
            claimed = set((await session.execute(self._claim, {"ids": [event_id for event_id, _ in group]})).scalars())
            for event_id, effects in group:
                if event_id in claimed:
                    await effects(session)
        self.groups += 1
        return [event_id in claimed for event_id, _ in group]
