"""The unit of work: one transaction per request, message, job or command, and the one place events leave from.

Aggregates record domain events as they change (`Application.hire()` calls `self.record_event("ats.application.hired.v1", …)`); on
`commit()` the unit of work collects what every aggregate in the session recorded (plus anything recorded on the
unit of work itself), lets in-service handlers react (which may record more), then writes each event to the
outbox and hands it to the service's event sinks (the ATS audit trail) in the same transaction, and commits.
So a state change, its event and its audit entry are written together or not at all, and can never disagree.

    async with UnitOfWork(sessions, writer=writer, ctx=ctx) as uow:
        app = await applications.get(uow, application_id, for_update=True)
        app.hire(...)                # records the event
        await uow.commit()           # outbox row + audit entry + COMMIT

Without `commit()` everything is rolled back when the block ends.
"""
from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from pydantic import BaseModel
from shared_schemas.envelope import EventEnvelope
from shared_schemas.events import REGISTRY
from sqlalchemy import Table, TextClause, text
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, object_session

from talentkit.sealing import sealer_for

if TYPE_CHECKING:  # only types: auth and db import this module
    from talentkit.auth import RequestContext
    from talentkit.db import PlatformTables

log = logging.getLogger("talentkit.uow")
_order = itertools.count()  # recording order across aggregates: events leave in the order they happened


@dataclass
class DomainEvent:
    """Something that happened to an aggregate, as plain data: the contract type, the payload and, for the
    audit trail, what changed (`{field: {"before": …, "after": …}}`)."""

    type: str
    aggregate_id: str
    sequence: int
    data: dict[str, Any]
    changes: dict[str, Any] | None = None
    time: datetime | None = None
    topic: str | None = None
    internal: bool = False  # for in-service handlers and the audit trail only: never written to the outbox
    ctx: RequestContext | None = None  # who caused it, when not the unit of work's own caller
    order: int = field(default_factory=lambda: next(_order))
    envelope: EventEnvelope | None = None  # set when written to the outbox

    @property
    def service(self) -> str:
        return self.type.split(".", 1)[0]

    @property
    def aggregate(self) -> str:
        return self.type.split(".")[1]

    @property
    def action(self) -> str:
        """The audit action: the type without service and version (`application.hired`)."""
        return ".".join(self.type.split(".")[1:-1])

    @property
    def default_topic(self) -> str:
        return self.topic or f"{self.service}.{self.aggregate}s"


def make_event(event_type: str, *, aggregate_id: Any, sequence: int, data: dict[str, Any] | BaseModel,
               changes: dict[str, Any] | None = None, time: datetime | None = None,
               topic: str | None = None, internal: bool = False, ctx: RequestContext | None = None) -> DomainEvent:
    """A domain event whose payload is validated against the shared contract now, not at commit. An internal
    event (no contract; e.g. `ats.note.created.internal`) reaches only the bus and the audit trail."""
    raw = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    payload = _jsonable(raw) if internal else REGISTRY[event_type].model_validate(raw).model_dump(mode="json")
    return DomainEvent(type=event_type, aggregate_id=str(aggregate_id), sequence=sequence, data=payload,
                       changes=_jsonable(changes) if changes is not None else None, time=time, topic=topic,
                       internal=internal, ctx=ctx)


def _jsonable(value: Any) -> Any:
    """Plain JSON types (uuids, dates, enums as strings): what the outbox and the audit trail store."""
    return json.loads(json.dumps(value, default=str))


class RecordsEvents:
    """Mixin for aggregates: `self.record_event(type, ...)` keeps an event until the unit of work collects it."""

    def record_event(self, event_type: str, *, data: dict[str, Any] | BaseModel, changes: dict[str, Any] | None = None,
                     sequence: int | None = None, time: datetime | None = None, topic: str | None = None,
                     internal: bool = False, ctx: RequestContext | None = None) -> DomainEvent:
        """Record that something happened to this aggregate (sequence defaults to its `version`)."""
        event = make_event(event_type, aggregate_id=self.id,  # type: ignore[attr-defined]
                           sequence=sequence if sequence is not None else int(getattr(self, "version", 0) or 0),
                           data=data, changes=changes, time=time, topic=topic, internal=internal, ctx=ctx)
        # Straight to the unit of work of the session holding this aggregate (the session keeps only weak
        # references to clean objects); kept here until the aggregate joins one.
        session = object_session(self)
        uow = session.info.get("uow") if session is not None else None
        if isinstance(uow, UnitOfWork):
            uow.record(event)
        else:
            self.__dict__.setdefault("_recorded_events", []).append(event)
        return event

    def collect_events(self) -> list[DomainEvent]:
        """Hand over (and forget) what was recorded."""
        return self.__dict__.pop("_recorded_events", [])


class ClosingPart(Protocol):
    """A write that can wait for the end of the unit of work: every part goes in one statement just before COMMIT
    (the closing statement), so that the outbox rows, new people's keys, the stored idempotent response and the
    ATS audit entries cost one round trip together instead of one each."""

    def render(self, p: str) -> tuple[list[str], dict[str, Any], list[str]]:
        """The part's CTEs (`<p>name AS (...)`, each a data-modifying statement or a SELECT read below), their
        parameters (names starting with `p`), and the expressions the closing SELECT must read (a SELECT CTE
        runs only when read)."""
        ...


PartT = TypeVar("PartT", bound=ClosingPart)


class EventSink(Protocol):
    """Something that must hold every event in the same transaction (the outbox, an audit trail)."""

    async def __call__(self, uow: UnitOfWork, events: Sequence[DomainEvent]) -> None: ...


Handler = Callable[["UnitOfWork", DomainEvent], Awaitable[None]]


class MessageBus:
    """In-service reactions to events (prospect erased -> its enrollments end), run inside the same unit of work."""

    def __init__(self) -> None:
        self.handlers: dict[str, list[Handler]] = {}

    def on(self, *event_types: str) -> Callable[[Handler], Handler]:
        """Decorator: run the function for each event of these types."""
        def register(handler: Handler) -> Handler:
            for t in event_types:
                self.handlers.setdefault(t, []).append(handler)
            return handler
        return register

    async def dispatch(self, uow: UnitOfWork, event: DomainEvent) -> None:
        for handler in self.handlers.get(event.type, ()):
            await handler(uow, event)


class OutboxWriter:
    """The sink every service has: each event becomes an outbox row (CloudEvent envelope) of its topic, its
    personal values sealed with the person's key when the service keeps keys (`talentkit.sealing`)."""

    def __init__(self, tables: PlatformTables, source: str) -> None:
        self.tables, self.source = tables, source

    async def __call__(self, uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
        rows = []
        public = [e for e in events if not e.internal]
        datas = [e.data for e in public]
        if self.tables.subject_keys is not None and public:
            # A person whose created event this is was created in this transaction: a new key, stored by the
            # closing statement (no key can exist for a new id; a clash would fail the commit, never mis-seal).
            born = {e.aggregate_id for e in public if e.type.endswith(".created.v1")}
            datas = await sealer_for(self.tables.subject_keys).seal(
                uow.session, [(e.type, e.aggregate_id, e.data) for e in public], uow.after_commit, born=born, uow=uow)
        for e, data in zip(public, datas, strict=True):
            ctx = e.ctx or uow.ctx
            e.envelope = EventEnvelope(
                source=self.source, type=e.type, subject=e.aggregate_id, sequence=e.sequence, data=data,
                time=e.time or (ctx.source_time if ctx and ctx.source_time else None) or datetime.now(UTC),
                origin=ctx.principal.id if ctx else None, causationid=ctx.causation_id if ctx else None,
                traceparent=ctx.traceparent if ctx else None)
            rows.append({"event_id": e.envelope.id, "topic": e.default_topic, "aggregate_type": e.aggregate,
                         "aggregate_id": e.aggregate_id, "event_type": e.type, "envelope": e.envelope.model_dump_json()})
        if rows:
            uow.closing("outbox", lambda: OutboxRows(self.tables.outbox)).rows.extend(rows)


OUTBOX_CHANNEL = "talent_outbox"  # every transaction that writes outbox rows NOTIFYs it; the relay LISTENs
_OUTBOX_COLUMNS = ("event_id", "topic", "aggregate_type", "aggregate_id", "event_type", "envelope")


async def write_outbox(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows (`envelope` as JSON text) in order and wake the relay, in one statement; PostgreSQL
    delivers the NOTIFY when the transaction commits (once, however many rows), never when it rolls back."""
    if rows:
        await session.execute(_outbox_statement(table), {c: [r[c] for r in rows] for c in _OUTBOX_COLUMNS})


@dataclass
class OutboxRows:
    """The outbox rows of a unit of work, inserted in order by the closing statement, which also wakes the relay."""

    table: Table
    rows: list[dict[str, Any]] = field(default_factory=list)

    def render(self, p: str) -> tuple[list[str], dict[str, Any], list[str]]:
        arrays = ", ".join(f"CAST(:{p}{c} AS {'uuid' if c == 'event_id' else 'text'}[])" for c in _OUTBOX_COLUMNS)
        cte = f"""{p}written AS (
            INSERT INTO {self.table.name} ({", ".join(_OUTBOX_COLUMNS)})
            SELECT r.event_id, r.topic, r.aggregate_type, r.aggregate_id, r.event_type, CAST(r.envelope AS jsonb)
            FROM unnest({arrays}) WITH ORDINALITY AS r({", ".join(_OUTBOX_COLUMNS)}, n) ORDER BY r.n
            RETURNING 1)"""
        return [cte], {f"{p}{c}": [r[c] for r in self.rows] for c in _OUTBOX_COLUMNS}, [f"pg_notify('{OUTBOX_CHANNEL}', '')"]


@functools.cache
def _outbox_statement(table: Table) -> TextClause:
    # One text for any number of rows (arrays, unnested in order): prepared once per connection, never recompiled.
    arrays = ", ".join(f"CAST(:{c} AS {'uuid' if c == 'event_id' else 'text'}[])" for c in _OUTBOX_COLUMNS)
    return text(f"""WITH written AS (
        INSERT INTO {table.name} ({", ".join(_OUTBOX_COLUMNS)})
        SELECT r.event_id, r.topic, r.aggregate_type, r.aggregate_id, r.event_type, CAST(r.envelope AS jsonb)
        FROM unnest({arrays}) WITH ORDINALITY AS r({", ".join(_OUTBOX_COLUMNS)}, n) ORDER BY r.n
        RETURNING 1)
    SELECT pg_notify('{OUTBOX_CHANNEL}', '')""")


@functools.lru_cache(maxsize=256)
def _closing_statement(ctes: tuple[str, ...], reads: tuple[str, ...]) -> TextClause:
    return text(f"WITH {', '.join(ctes)}\nSELECT {', '.join(reads) or '1'}")


@sa_event.listens_for(Session, "after_attach")  # once for every session: listening per session costs every request
def _adopt_recorded(session: Session, obj: object) -> None:
    """An aggregate joining a unit of work's session hands over what it recorded before."""
    uow = session.info.get("uow")
    if isinstance(uow, UnitOfWork) and isinstance(obj, RecordsEvents):
        uow._loose.extend(obj.collect_events())
        # The session's identity map holds clean objects weakly: an aggregate created here would be gone once
        # flushed and its route let go of it, and a handler of its event would load it again (a SELECT per item)
        uow._held.append(obj)


@dataclass
class UnitOfWorkFactory:
    """What a service's entry points need to open a unit of work: sessions, the sinks and the bus."""

    sessions: async_sessionmaker[AsyncSession]
    sinks: tuple[EventSink, ...]
    bus: MessageBus | None = None
    committed: Signal | None = None  # told after every commit that wrote events (the service's idle workers wait on it)

    def __call__(self, ctx: RequestContext | None = None) -> UnitOfWork:
        return UnitOfWork(self.sessions, sinks=self.sinks, bus=self.bus, ctx=ctx, signal=self.committed)


class Signal:
    """Tells every waiter that something happened in this process (no payload, nothing queued): an idle worker
    waits on it, or its pause, whichever comes first, instead of polling the database every half second."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Event] = set()

    def notify(self) -> None:
        for waiter in self._waiters:
            waiter.set()

    async def wait(self, timeout: float) -> bool:
        """Wait for the next `notify` or `timeout` seconds; True when notified."""
        waiter = asyncio.Event()
        self._waiters.add(waiter)
        try:  # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation that meets the wake-up
            async with asyncio.timeout(max(timeout, 0)):
                await waiter.wait()
            return True
        except TimeoutError:
            return False
        finally:
            self._waiters.discard(waiter)


class UnitOfWork:
    """One transaction; on commit, the recorded events go through the bus, the outbox and the sinks."""

    MAX_ROUNDS = 20  # handlers that keep recording events in a cycle are a bug, not a workload

    def __init__(self, sessions: async_sessionmaker[AsyncSession], *, sinks: Iterable[EventSink] = (),
                 bus: MessageBus | None = None, ctx: RequestContext | None = None, signal: Signal | None = None) -> None:
        self._sessions, self.sinks, self.bus, self.ctx = sessions, tuple(sinks), bus, ctx
        self._signal, self._wake = signal, False
        self._closing: dict[str, ClosingPart] = {}
        self._session: AsyncSession | None = None
        self._loose: list[DomainEvent] = []
        self._held: list[object] = []  # aggregates that joined this unit of work, kept until it ends
        self.committed: list[DomainEvent] = []
        self.after_commit: list[Callable[[], Awaitable[None]]] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("the unit of work is not open (use `async with uow:`)")
        return self._session

    async def __aenter__(self) -> Self:
        self._session = self._sessions()
        self._session.info["uow"] = self  # `_adopt_recorded` finds it there
        await self._session.begin()
        return self

    async def __aexit__(self, *exc: object) -> None:
        session, self._session = self._session, None
        self._held.clear()
        if session is None:
            return
        try:
            if session.in_transaction():
                await session.rollback()
        finally:
            await session.close()

    def closing(self, key: str, make: Callable[[], PartT]) -> PartT:
        """The unit of work's closing part `key` (made on first use): what is added to it is written by the closing
        statement just before COMMIT (see `ClosingPart`)."""
        part = self._closing.get(key)
        if part is None:
            part = self._closing[key] = make()
        return part  # type: ignore[return-value]

    async def _write_closing(self) -> None:
        parts, self._closing = list(self._closing.values()), {}
        if not parts:
            return
        ctes: list[str] = []
        params: dict[str, Any] = {}
        reads: list[str] = []
        for i, part in enumerate(parts):
            c, values, r = part.render(f"c{i}_")
            ctes += c
            params |= values
            reads += r
        # The text depends only on which parts there are: a handful of shapes, each prepared once per connection.
        await self.session.execute(_closing_statement(tuple(ctes), tuple(reads)), params)

    def wake_workers(self) -> None:
        """Wake this process's idle background workers at commit, though nothing recorded an event (work queued
        in a table of theirs). Commits that write events wake them anyway."""
        self._wake = True

    def record(self, event: DomainEvent) -> DomainEvent:
        """Record an event that belongs to no loaded aggregate (e.g. one about a row changed in bulk)."""
        self._loose.append(event)
        return event

    async def flush(self) -> None:
        await self.session.flush()

    @asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A nested transaction (SAVEPOINT): when the block raises, its changes and the events recorded in it are
        undone and the rest of the unit of work goes on (one item of a batch failing leaves the others)."""
        mark = len(self._loose)
        try:
            async with self.session.begin_nested():
                yield
        except BaseException:
            del self._loose[mark:]
            raise

    def _collect(self) -> list[DomainEvent]:
        events, self._loose = self._loose, []
        return sorted(events, key=lambda e: e.order)

    async def publish_pending(self) -> list[DomainEvent]:
        """Run the bus until no handler records anything new; then hand every event to the sinks."""
        everything: list[DomainEvent] = []
        for _ in range(self.MAX_ROUNDS):
            await self.session.flush()
            batch = self._collect()
            if not batch:
                break
            everything.extend(batch)
            if self.bus is not None:
                for event in batch:
                    await self.bus.dispatch(self, event)
        else:
            raise RuntimeError("event handlers kept recording events: a cycle")
        if everything:
            # Sinks last: the audit chain's lock is then held only from here to COMMIT.
            for sink in self.sinks:
                await sink(self, everything)
        return everything

    async def commit(self) -> list[DomainEvent]:
        """Publish what was recorded and commit; returns the events written."""
        events = await self.publish_pending()
        await self._write_closing()
        await self.session.commit()
        self.committed.extend(events)
        if (events or self._wake) and self._signal is not None:
            self._signal.notify()
        for hook in self.after_commit:
            await hook()
        self.after_commit.clear()
        return events

    async def rollback(self) -> None:
        self._loose.clear()
        self._closing.clear()
        await self.session.rollback()
