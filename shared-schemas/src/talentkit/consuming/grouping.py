"""Group commit for a consumer's effects: events applied at about the same time (different keys: a key's next
event waits for its previous one) share one transaction, with one processed-events insert, instead of a BEGIN, a
claim and a COMMIT each (`talentkit.batching.Coalescer` gathers them: an event alone commits at once, so grouping
adds no delay at low load). When a group's transaction fails, its events are committed one by one, so one event's
failure (a lost race, a constraint) is that event's alone.

A group whose effects are all `Folded` (rows for statements the committer knows how to write for many events at
once, e.g. a cursor upsert) costs one statement and no transaction around it: the claim and every row go out as
one `WITH … INSERT` (a statement is atomic by itself), where each row is written only if its event's claim
succeeded. That is the steady state of a sync: an update's only write is its cursor."""
from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Table, TextClause, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentkit.batching import Coalescer
from talentkit.consuming import processed
from talentkit.db import ONE_STATEMENT

Effects = Callable[[AsyncSession], Awaitable[None]]
Item = tuple[str, Effects]  # (event id, its effects)


@dataclass(frozen=True)
class Fold:
    """A write of one row per event that a group commit folds into its claim statement. `sql` is the statement
    for any number of rows, reading them from `{rows}`, a relation with `columns` (name, PostgreSQL type), e.g.
    `INSERT INTO t (a, b) SELECT a, b FROM {rows} ON CONFLICT …`. In one statement every fold's rows see the
    same snapshot: folds of one group must touch rows none of the others reads or writes (two rows updating one
    row make PostgreSQL refuse the statement; the group is then committed event by event in transactions, where
    each row is its own statement, in order: correct, only slower). The consumer's keys see to it for a cursor:
    a key's events never commit together."""

    name: str
    columns: tuple[tuple[str, str], ...]  # (name, PostgreSQL type): names are identifiers, never `event_id`
    sql: str

    def __post_init__(self) -> None:
        for name, kind in self.columns:
            if not _IDENTIFIER.fullmatch(name) or name == "event_id" or not _TYPE.fullmatch(kind):
                raise ValueError(f"fold {self.name}: column {name!r} {kind!r} is not a plain name and type")
        if "{rows}" not in self.sql:
            raise ValueError(f"fold {self.name}: its sql does not read {{rows}}")


_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]*")
_TYPE = re.compile(r"[a-z][a-z0-9 ]*")


@dataclass
class Folded:
    """Effects that are only `Fold` rows: (fold, {column: value}), in order. Callable like any effects (each row
    then its own statement, in the caller's transaction)."""

    rows: list[tuple[Fold, dict[str, Any]]]

    async def __call__(self, session: AsyncSession) -> None:
        for fold, row in self.rows:
            await session.execute(_statement(None, (fold,)), _params(None, (fold,), [("", [(fold, row)])]))


class GroupCommitter:
    """`await committer(event_id, effects)`: True when the effects committed with the event's processed row, False
    when the row existed (applied before, by us or another member: the effects never ran)."""

    def __init__(self, *, sessions: async_sessionmaker[AsyncSession], table: Table, consumer: str,
                 max_events: int = 64, parallel: int = 2) -> None:
        self.sessions, self.table, self.consumer = sessions, table, consumer
        self.groups = 0  # groups committed, in a transaction or as one statement (for tests and metrics)
        self._coalescer: Coalescer[Item, bool | Exception] = Coalescer(self._commit_group, max_items=max_events,
                                                                       parallel=parallel)
        # one statement whatever the group's size (a VALUES list per size would be compiled and prepared per size)
        self._claim = processed.claim_many(table, consumer)
        self._table_name = postgresql.dialect().identifier_preparer.format_table(table)

    async def __call__(self, event_id: str, effects: Effects) -> bool:
        result = await self._coalescer((event_id, effects))
        if isinstance(result, Exception):
            raise result
        return result

    async def _commit_group(self, group: list[Item]) -> list[bool | Exception]:
        try:
            return list(await self._commit(group))
        except Exception:
            if len(group) == 1 and not _folded(group):
                raise  # the coalescer hands it to the event's caller
        out: list[bool | Exception] = []
        for item in group:  # whose fault it was shows when each commits alone, in a transaction (folds in order)
            try:
                out += await self._commit([item], fold=False)
            except Exception as exc:  # noqa: BLE001 - this event's own failure, for its retry logic
                out.append(exc)
        return out

    async def _commit(self, group: list[Item], fold: bool = True) -> list[bool]:
        if fold and _folded(group):
            claimed = await self._commit_folded([(event_id, effects.rows) for event_id, effects in group
                                                 if isinstance(effects, Folded)])
        else:
            async with self.sessions() as session, session.begin():
                claimed = set((await session.execute(self._claim, {"ids": [i for i, _ in group]})).scalars())
                for event_id, effects in group:
                    if event_id in claimed:
                        await effects(session)
        self.groups += 1
        return [event_id in claimed for event_id, _ in group]

    async def _commit_folded(self, group: list[tuple[str, list[tuple[Fold, dict[str, Any]]]]]) -> set[str]:
        folds = tuple(sorted({fold for _, rows in group for fold, _ in rows}, key=lambda f: f.name))
        statement = _statement(self._table_name, folds).execution_options(**ONE_STATEMENT)
        async with self.sessions() as session:
            claimed = set((await session.execute(statement, _params(self.consumer, folds, group))).scalars())
            await session.commit()  # nothing to commit when it went out autocommitted (`ONE_STATEMENT`)
        return claimed


def _folded(group: list[Item]) -> bool:
    return all(isinstance(effects, Folded) for _, effects in group)


@functools.cache
def _statement(claims: str | None, folds: tuple[Fold, ...]) -> TextClause:
    """The claim of the events into table `claims` (None: no claim, every row is written) and each fold's rows,
    written for the events claimed, in one statement that returns the ids claimed."""
    ctes = []
    if claims is not None:
        ctes.append(f"claimed AS (INSERT INTO {claims} (consumer, event_id) SELECT :consumer, unnest(CAST(:ids AS text[]))"
                    " ON CONFLICT DO NOTHING RETURNING event_id)")
    for n, fold in enumerate(folds):
        names = ", ".join(name for name, _ in fold.columns)
        arrays = ", ".join(f"CAST(:f{n}_{name} AS {kind}[])" for name, kind in fold.columns)
        only_claimed = " WHERE w.event_id IN (SELECT event_id FROM claimed)" if claims is not None else ""
        ctes.append(f"f{n}_rows AS (SELECT {', '.join(f'w.{name}' for name, _ in fold.columns)} FROM "
                    f"unnest(CAST(:f{n}__event AS text[]), {arrays}) AS w(event_id, {names}){only_claimed})")
        ctes.append(f"f{n} AS ({fold.sql.replace('{rows}', f'f{n}_rows')})")
    tail = "SELECT event_id FROM claimed" if claims is not None else "SELECT NULL::text AS event_id"
    return text(f"WITH {', '.join(ctes)} {tail}")


def _params(consumer: str | None, folds: Sequence[Fold], group: Sequence[tuple[str, list[tuple[Fold, dict[str, Any]]]]]
            ) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if consumer is not None:
        params.update(consumer=consumer, ids=[event_id for event_id, _ in group])
    for n, fold in enumerate(folds):
        rows = [(event_id, row) for event_id, rows in group for f, row in rows if f == fold]
        params[f"f{n}__event"] = [event_id for event_id, _ in rows]
        for name, _ in fold.columns:
            params[f"f{n}_{name}"] = [row[name] for _, row in rows]
    return params
