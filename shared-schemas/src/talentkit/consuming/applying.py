"""Applying one event: parse, `wants`, dedupe on the processed-events table, the handler (either style), and what
a failure means (retry, park, outage, dead letter). `talentkit.consumer` runs this for many keys at once."""
from __future__ import annotations

import asyncio
import json
import logging
import random
import traceback
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer, ConsumerRecord
from shared_schemas.envelope import EventEnvelope, InvalidEvent
from shared_schemas.topics import dead_letter_topic
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentkit.consuming import processed
from talentkit.consuming.circuit import Circuit
from talentkit.consuming.grouping import GroupCommitter
from talentkit.consuming.queues import Work
from talentkit.db import PlatformTables
from talentkit.metrics import (
    DEAD_LETTERS,
    EVENT_APPLY_LATENCY,
    EVENTS_CONSUMED,
    EVENTS_PARKED,
)
from talentkit.sealing import KeyUnavailable, Unsealer

log = logging.getLogger("talentkit.consumer")
Handler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]
Effects = Callable[[AsyncSession], Awaitable[None]]
TwoPhaseHandler = Callable[[EventEnvelope], Awaitable[Effects | None]]
DeadLetterSink = Callable[[ConsumerRecord, BaseException, int], Awaitable[None]]


FINISHED_REMEMBERED = 20_000  # event ids kept to recognise a copy of an event published again


class TransientError(Exception):
    """The event is fine but something it needs is not available now: retry, do not dead-letter."""


def database_unreachable(exc: BaseException) -> bool:
    """The database connection is gone (refused, dropped, server shutting down): an outage, not the event's fault."""
    return isinstance(exc, ConnectionError | InterfaceError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


@dataclass(frozen=True)
class Step:
    """What one attempt at an event came to: finished (`outcome`), retry after a delay, or a peer outage."""

    outcome: str | None = None  # applied | duplicate | erased (its key is gone) | refused | dead_lettered
    retry_in: float | None = None
    outage: bool = False


class EventApplier:
    """Applies events of one consumer group one at a time (`handle_record`); EventConsumer runs it in parallel."""

    def __init__(self, *, group: str, sessions: async_sessionmaker[AsyncSession], tables: PlatformTables,
                 handler: Handler | None = None, handle: TwoPhaseHandler | None = None,
                 key_of: Callable[[EventEnvelope], str | None] | None = None,
                 wants: Callable[[EventEnvelope], bool] | None = None,
                 is_transient: Callable[[BaseException], bool] = lambda e: isinstance(e, TransientError),
                 is_outage: Callable[[BaseException], bool] = lambda e: False,
                 max_attempts: int = 8, base_backoff: float = 0.2, max_backoff: float = 30.0,
                 on_dead_letter: DeadLetterSink | None = None, unsealer: Unsealer | None = None) -> None:
        if (handler is None) == (handle is None):
            raise TypeError("give exactly one of handler= (in the consumer's transaction) or handle= (two-phase)")
        self.group, self.sessions, self.tables, self.handler, self.handle = group, sessions, tables, handler, handle
        self.key_of, self.wants = key_of, wants
        self.is_transient, self.is_outage = is_transient, is_outage
        self.max_attempts, self.base_backoff, self.max_backoff = max_attempts, base_backoff, max_backoff
        self.on_dead_letter = on_dead_letter  # e.g. keep an inspectable, replayable copy in the database
        self.unsealer = unsealer  # opens personal values sealed in events; None: handlers see them sealed
        self.dlq_topic = dead_letter_topic(group)
        self.committer = GroupCommitter(sessions=sessions, table=tables.processed_events, consumer=group)
        self.producer: AIOKafkaProducer | None = None  # dead letters go out through it
        self._finished: OrderedDict[str, None] = OrderedDict()  # the newest events finished here, oldest first
        self._forget()

    def _forget(self) -> None:
        """Drop what is known about events in flight (a new run, a revoke)."""
        self.circuit = Circuit(base_delay=max(self.base_backoff, 0.5), max_delay=self.max_backoff)
        self._noops: list[str] = []  # processed-events rows of events that changed nothing, written in batches
        # what one query per fetch found in the processed-events table (hints; an attempt without one asks itself)
        self._seen_at_fetch: set[str] = set()
        self._new_at_fetch: set[str] = set()

    def _work(self, record: ConsumerRecord) -> Work:
        try:
            event: EventEnvelope | None = EventEnvelope.from_kafka(record.headers, record.value)
            invalid = None
        except InvalidEvent as exc:
            event, invalid = None, exc
        wanted = None
        if event is not None:
            try:
                wanted = self.wants(event) if self.wants is not None else True
            except Exception:  # noqa: BLE001 - asked again by the attempt, where the error dead-letters the event
                wanted = None
        key = None
        if event is not None and self.key_of is not None:
            try:
                key = self.key_of(event)
            except Exception:
                log.warning("key_of failed; ordering by the record key", exc_info=True, extra={"event_id": event.id})
        if key is None:
            # a record without a key keeps the order of its partition
            key = record.key.decode("utf-8", "replace") if record.key is not None else f"\0{record.topic}/{record.partition}"
        return Work(record=record, key=key, event=event, invalid=invalid, wanted=wanted)

    async def _look_up(self, works: Iterable[Work], fresh: Callable[[Work], bool] = lambda work: False) -> None:
        """One query for a whole fetch: events processed before are then skipped without a query of their own;
        the keys the new ones need are fetched in one request per producer. A record `fresh` says no one else can
        have fetched (published after this member got its partition) is not looked up: most of a running
        consumer's records, so its steady state costs no query per fetch. Where that is wrong (a zombie member
        still applying the partition it lost, a copy of an event finished more than `FINISHED_REMEMBERED` events
        ago) the handler runs again and its effects do not: the effects transaction's claim finds the row."""
        wanted = [(w, w.event) for w in works if w.event is not None and w.wanted is not False]
        events = [event for _, event in wanted]
        if not events:
            return
        # a fresh record of an event this member finished before is a copy published again (a relay that died
        # between publishing and marking): looked up, so that its handler does not run again
        new = {event.id for w, event in wanted if fresh(w) and event.id not in self._finished}
        ids = [event.id for _, event in wanted if event.id not in new]
        if self.handle is not None:
            self._new_at_fetch.update(new)
        keys = asyncio.ensure_future(self.unsealer.prefetch(events)) if self.unsealer is not None else None
        try:  # the keys arrive meanwhile (a duplicate's key is fetched too: rare, and harmless)
            seen = await processed.seen_among(self.sessions, self.tables.processed_events, self.group, ids) \
                if ids else set[str]()
        except Exception as exc:  # noqa: BLE001 - only a hint: each attempt then asks for itself
            log.warning("processed-events lookup failed", extra={"consumer": self.group, "error": repr(exc)})
            return
        finally:
            if keys is not None:
                await keys
        self._seen_at_fetch.update(seen)
        if self.handle is not None:
            self._new_at_fetch.update(i for i in ids if i not in seen)

    async def _flush_noops(self) -> None:
        if not self._noops:
            return
        ids, self._noops = self._noops, []
        try:
            await processed.record(self.sessions, self.tables.processed_events, self.group, ids)
        except BaseException:
            self._noops = ids + self._noops
            raise

    async def handle_record(self, record: ConsumerRecord) -> None:
        """Apply one record in place, outside the parallel loop (e.g. a replay): parse, dedupe, apply; retry
        transient failures with backoff up to `max_attempts`, wait out outages, dead-letter poison and the parked."""
        work = self._work(record)
        outages = 0
        while (step := await self._attempt(work)).outcome is None:
            if step.outage:
                outages += 1
            await asyncio.sleep(step.retry_in if step.retry_in is not None else self._backoff(outages, floor=0.5))
        await self._flush_noops()

    async def _attempt(self, work: Work) -> Step:
        if work.invalid is not None:
            return await self._park(work, work.invalid, attempts=1)
        event = work.event
        assert event is not None
        try:
            wanted = work.wanted if work.wanted is not None else (self.wants is None or self.wants(event))
            if not wanted:
                outcome = "refused"
            else:
                outcome = await self._apply(event)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - what it was decides retry, park, outage or dead letter
            return await self._failed(work, exc)
        EVENTS_CONSUMED.labels(self.group, event.type, outcome).inc()
        if outcome in ("applied", "duplicate"):
            self._finished[event.id] = None
            if len(self._finished) > FINISHED_REMEMBERED:
                self._finished.popitem(last=False)
        if outcome == "applied":
            EVENT_APPLY_LATENCY.labels(self.group).observe(max((datetime.now(UTC) - event.time).total_seconds(), 0))
        return Step(outcome=outcome)

    async def _apply(self, event: EventEnvelope) -> str:
        """Apply once: `applied`, `duplicate` (processed before) or `erased` (its person's key is gone: nothing of
        theirs is left to apply, so it is recorded as processed and skipped)."""
        if event.id in self._seen_at_fetch:
            self._seen_at_fetch.discard(event.id)
            return "duplicate"
        if self.unsealer is not None:
            opened = await self.unsealer.open(event)
            if event.type.endswith(".erased.v1"):
                self.unsealer.forget(event.subject)
            if opened.shredded:
                self._noops.append(event.id)
                return "erased"
            event = opened.envelope
        return "applied" if await self._apply_open(event) else "duplicate"

    async def _apply_open(self, event: EventEnvelope) -> bool:
        pe = self.tables.processed_events
        if self.handle is None:
            assert self.handler is not None
            async with self.sessions() as session, session.begin():
                if not await processed.claim(session, pe, self.group, event.id):
                    return False
                await self.handler(session, event)
            return True
        if event.id in self._new_at_fetch:
            self._new_at_fetch.discard(event.id)  # a second copy of the event, if any, asks again
        elif await processed.seen(self.sessions, pe, self.group, event.id):
            return False
        effects = await self.handle(event)  # reads and HTTP calls, no transaction open
        if effects is None:
            self._noops.append(event.id)
            return True
        # in one short transaction with the processed row, shared with the events committing at the same moment
        if not await self.committer(event.id, effects):
            return False  # applied meanwhile (another member, a replay): its effects stand, ours never run
        self._new_at_fetch.discard(event.id)  # a copy looked up while this one ran must ask again
        return True

    async def _failed(self, work: Work, exc: Exception) -> Step:
        event = work.event
        assert event is not None
        context = {"consumer": self.group, "event_id": event.id, "key": work.key, "error": repr(exc)}
        # a producer that cannot hand out keys right now holds events back like a peer outage: nothing is parked
        if database_unreachable(exc) or self.is_outage(exc) or isinstance(exc, KeyUnavailable):
            served_since = work.outage_epoch is not None and work.outage_epoch < self.circuit.epoch
            work.outage_epoch = self.circuit.epoch
            if not served_since:
                return Step(outage=True)
            transient = True  # the peer served other events since this one last failed so: not an outage
        else:
            transient = self.is_transient(exc)
        work.attempts += 1
        if transient and work.attempts < self.max_attempts:
            delay = self._backoff(work.attempts)
            log.warning("transient failure; retrying", extra={**context, "attempt": work.attempts, "delay_s": delay})
            return Step(retry_in=delay)
        if transient:
            log.error("still failing after max attempts; parking", extra={**context, "attempts": work.attempts})
        else:
            log.error("poison event; dead-lettering", exc_info=exc, extra=context)
        step = await self._park(work, exc, attempts=work.attempts)
        if transient and step.outcome is not None:
            EVENTS_PARKED.labels(self.group).inc()
        return step

    async def _park(self, work: Work, error: BaseException, attempts: int) -> Step:
        try:
            await self.dead_letter(work.record, error, attempts)
        except asyncio.CancelledError:
            raise
        except Exception:  # Kafka or the sink is away: the event stays unfinished and is tried again
            log.exception("dead-lettering failed; retrying", extra={"consumer": self.group, "key": work.key})
            return Step(retry_in=self._backoff(max(work.attempts, 1)))
        return Step(outcome="dead_lettered")

    def _backoff(self, attempt: int, floor: float | None = None) -> float:
        base = max(self.base_backoff, floor or 0)
        return min(self.max_backoff, base * 2 ** min(attempt - 1, 16)) * (0.5 + random.random() / 2)

    async def dead_letter(self, record: ConsumerRecord, error: BaseException, attempts: int) -> None:
        """Park the original record, unchanged, on the dead-letter topic with the error in headers."""
        headers = list(record.headers or ()) + [
            ("dlq_error", f"{type(error).__name__}: {error}"[:2000].encode()),
            ("dlq_trace", "".join(traceback.format_exception(error))[-4000:].encode()),
            ("dlq_source", json.dumps({"topic": record.topic, "partition": record.partition,
                                       "offset": record.offset}).encode()),
            ("dlq_attempts", str(attempts).encode()),
            ("dlq_consumer", self.group.encode()),
        ]
        assert self.producer is not None
        await self.producer.send_and_wait(self.dlq_topic, value=record.value, key=record.key, headers=headers)
        if self.on_dead_letter is not None:
            await self.on_dead_letter(record, error, attempts)
        EVENTS_CONSUMED.labels(self.group, "?", "dead_lettered").inc()
        DEAD_LETTERS.labels(self.group).inc()
