"""The idempotent consumer loop: apply in a DB transaction that also records the event id, then commit
the offset (once per fetched batch); transient failures retry in place (order per key kept), poison events go to a dead-letter topic."""
from __future__ import annotations

import asyncio
import json
import logging
import random
import traceback
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord
from shared_schemas.envelope import EventEnvelope, InvalidEvent
from shared_schemas.topics import dead_letter_topic
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentkit.db import PlatformTables
from talentkit.kafka import ensure_topics
from talentkit.metrics import (
    CONSUMER_LAG,
    DEAD_LETTERS,
    EVENT_APPLY_LATENCY,
    EVENTS_CONSUMED,
)

log = logging.getLogger("talentkit.consumer")
Handler = Callable[[AsyncSession, EventEnvelope], Awaitable[None]]


class TransientError(Exception):
    """The event is fine but something it needs is not available now: retry, do not dead-letter."""


class EventConsumer:
    """Consume topics with a consumer group; each event applied at most once, in order per key."""

    def __init__(self, *, group: str, topics: tuple[str, ...], bootstrap: str,
                 sessions: async_sessionmaker[AsyncSession], tables: PlatformTables, handler: Handler,
                 is_transient: Callable[[BaseException], bool] = lambda e: isinstance(e, TransientError),
                 max_backoff: float = 30.0,
                 on_dead_letter: Callable[[ConsumerRecord, BaseException, int], Awaitable[None]] | None = None) -> None:
        self.group, self.topics, self.bootstrap = group, topics, bootstrap
        self.sessions, self.tables, self.handler = sessions, tables, handler
        self.is_transient, self.max_backoff = is_transient, max_backoff
        self.on_dead_letter = on_dead_letter  # e.g. keep an inspectable, replayable copy in the database
        self.dlq_topic = dead_letter_topic(group)
        self.consumer: AIOKafkaConsumer | None = None
        self.producer: AIOKafkaProducer | None = None

    async def run(self) -> None:
        """Consume forever; restart the Kafka clients after a failure."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer crashed; restarting", extra={"consumer": self.group})
                await asyncio.sleep(1)
            finally:
                await self._close()

    async def _consume(self) -> None:
        await ensure_topics(self.bootstrap, (*self.topics, self.dlq_topic))
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all")
        await self.producer.start()
        self.consumer = AIOKafkaConsumer(*self.topics, bootstrap_servers=self.bootstrap, group_id=self.group,
                                         enable_auto_commit=False, auto_offset_reset="earliest",
                                         max_poll_interval_ms=600_000,
                                         # a crashed member is noticed after 6 s (the broker's minimum), not 10
                                         session_timeout_ms=6000, heartbeat_interval_ms=2000)
        await self.consumer.start()
        log.info("consumer started", extra={"consumer": self.group, "topics": list(self.topics)})
        while True:
            # A batch per partition: every record applied (each in its own DB transaction) in order, then one
            # offset commit for the batch. A crash before that commit replays the batch; the processed-events
            # table makes the replay change nothing.
            batches = await self.consumer.getmany(timeout_ms=500, max_records=200)
            for tp, records in batches.items():
                for record in records:
                    await self.handle_record(record)
                await self.consumer.commit({tp: records[-1].offset + 1})
                highwater = self.consumer.highwater(tp)
                if highwater is not None:
                    CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(max(highwater - records[-1].offset - 1, 0))

    async def handle_record(self, record: ConsumerRecord) -> None:
        """Apply one record: parse, dedupe, handle in one transaction; retry transient errors; dead-letter poison."""
        try:
            event = EventEnvelope.from_kafka(record.headers, record.value)
        except InvalidEvent as exc:
            await self.dead_letter(record, exc, attempts=1)
            return
        attempt = 0
        while True:
            attempt += 1
            try:
                applied = await self._apply(event)
                EVENTS_CONSUMED.labels(self.group, event.type, "applied" if applied else "duplicate").inc()
                if applied:
                    EVENT_APPLY_LATENCY.labels(self.group).observe(
                        max((datetime.now(UTC) - event.time).total_seconds(), 0))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.is_transient(exc):
                    delay = min(self.max_backoff, 0.2 * 2 ** min(attempt, 10)) * (0.5 + random.random() / 2)
                    log.warning("transient failure; retrying", extra={"consumer": self.group, "event_id": event.id,
                                                                     "attempt": attempt, "error": repr(exc), "delay_s": delay})
                    await asyncio.sleep(delay)
                    continue
                log.error("poison event; dead-lettering", exc_info=exc, extra={"consumer": self.group, "event_id": event.id})
                await self.dead_letter(record, exc, attempts=attempt)
                return

    async def _apply(self, event: EventEnvelope) -> bool:
        pe = self.tables.processed_events
        async with self.sessions() as session, session.begin():
            claimed = (await session.execute(
                insert(pe).values(consumer=self.group, event_id=event.id).on_conflict_do_nothing().returning(pe.c.event_id)
            )).first()
            if claimed is None:
                return False
            await self.handler(session, event)
        return True

    async def dead_letter(self, record: ConsumerRecord, error: BaseException, attempts: int) -> None:
        """Park the original record, unchanged, on the dead-letter topic with the error in headers."""
        EVENTS_CONSUMED.labels(self.group, "?", "dead_lettered").inc()
        DEAD_LETTERS.labels(self.group).inc()
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

    async def _close(self) -> None:
        for client in (self.consumer, self.producer):
            if client is not None:
                try:
                    await client.stop()
                except Exception:
                    log.warning("kafka client stop failed", exc_info=True)
        self.consumer = self.producer = None
