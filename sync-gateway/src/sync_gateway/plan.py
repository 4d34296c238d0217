"""One event's database work in two phases, so that no transaction (nor pooled connection) is held across the
peer calls in between: reads now, each in a session of its own (a plain SELECT runs autocommitted, see
`talentkit.db`), writes queued and run later, in order, in the consumer's one short transaction together with the
processed-events row (`talentkit.consumer`, two-phase style).

    plan = Plan(sessions)
    link = await plan.read(links.of, "ats", candidate_id)    # no transaction
    created = await crm.create(...)                           # HTTP, nothing held
    plan.write(functools.partial(links.store, link=link))    # later, in the effects transaction
    return plan.effects()                                     # None when there is nothing to write

An entry point that already holds a unit of work (the backfill) gives its session instead: reads and writes then
go through it, the writes when it calls `apply`."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from talentkit.consuming.grouping import Fold, Folded

P = ParamSpec("P")
T = TypeVar("T")
Write = Callable[[AsyncSession], Awaitable[Any]]


class Plan:
    """Reads done now, writes kept for one short transaction."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession] | None = None, *,
                 session: AsyncSession | None = None) -> None:
        if (sessions is None) == (session is None):
            raise TypeError("give sessions= (a session per read) or session= (an open unit of work)")
        self.sessions, self.session = sessions, session
        self.writes: list[Write] = []

    async def read(self, query: Callable[Concatenate[AsyncSession, P], Awaitable[T]], *args: P.args,
                   **kwargs: P.kwargs) -> T:
        """Run a read-only repository function (`query(session, ...)`) now, with no transaction kept open."""
        if self.session is not None:
            return await query(self.session, *args, **kwargs)
        assert self.sessions is not None
        async with self.sessions() as session:
            return await query(session, *args, **kwargs)

    def write(self, write: Write) -> None:
        """Keep a write (`write(session)`) for the effects transaction."""
        self.writes.append(write)

    def fold(self, fold: Fold, **row: Any) -> None:
        """Keep a one-row write the consumer's group commit can fold into its claim statement (see `Fold`): an
        event whose writes are all folds costs no transaction of its own."""
        self.writes.append(Folded([(fold, row)]))

    async def apply(self, session: AsyncSession) -> None:
        """Run the kept writes, in order, in the caller's transaction."""
        for write in self.writes:
            await write(session)

    def effects(self) -> Write | None:
        """What the consumer runs in its transaction; None when the event needs nothing written."""
        if self.writes and all(isinstance(write, Folded) for write in self.writes):
            return Folded([row for write in self.writes if isinstance(write, Folded) for row in write.rows])
        return self.apply if self.writes else None
