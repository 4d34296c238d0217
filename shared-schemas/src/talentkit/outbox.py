"""Transactional outbox: the event row commits with the change; a relay publishes rows in order.

Guarantees: no event is lost (a row stays unpublished until Kafka acknowledged it with acks=all);
order per key is kept (rows go out in `seq` order, one relay at a time, idempotent producer; `seq` is taken at
insert, and the services lock an aggregate's row before changing it, so one aggregate's rows get increasing `seq`
in the order their transactions commit); delivery is at least once (a crash between publish and mark re-sends;
consumers dedupe by event id).
"""
from __future__ import annotations

import asyncio
import logging
import zlib
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from shared_schemas.envelope import EventEnvelope
from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from talentkit.auth import RequestContext
from talentkit.db import PlatformTables
from talentkit.kafka import ensure_topics
from talentkit.metrics import OUTBOX_LAG, OUTBOX_PUBLISHED
from talentkit.sealing import sealer_for

log = logging.getLogger("talentkit.outbox")


async def stage_event(session: AsyncSession, tables: PlatformTables, *, source: str, topic: str,
                      aggregate_type: str, aggregate_id: str, event_type: str, sequence: int,
                      data: dict[str, Any], ctx: RequestContext | None,
                      time: datetime | None = None) -> EventEnvelope:
    """Write an event to the outbox inside the caller's transaction (personal values sealed, as OutboxWriter does)."""
    if tables.subject_keys is not None:
        uow = session.info.get("uow")
        [data] = await sealer_for(tables.subject_keys).seal(session, [(event_type, aggregate_id, data)],
                                                            uow.after_commit if uow is not None else [])
    envelope = EventEnvelope(
        source=source, type=event_type, subject=aggregate_id, sequence=sequence, data=data,
        time=time or datetime.now(UTC),
        origin=ctx.principal.id if ctx else None,
        causationid=ctx.causation_id if ctx else None,
        traceparent=ctx.traceparent if ctx else None,
    )
    await session.execute(tables.outbox.insert().values(
        event_id=envelope.id, topic=topic, aggregate_type=aggregate_type, aggregate_id=aggregate_id,
        event_type=event_type, envelope=envelope.model_dump(mode="json"),
    ))
    return envelope


class OutboxRelay:
    """Publishes outbox rows to Kafka; one active relay per database (advisory lock), others stand by."""

    def __init__(self, *, engine: AsyncEngine, tables: PlatformTables, bootstrap: str, service: str,
                 topics: tuple[str, ...] = (), poll_seconds: float = 0.05, batch_size: int = 500,
                 keep_published_hours: int = 24) -> None:
        self.engine, self.tables, self.bootstrap = engine, tables, bootstrap
        self.service, self.topics = service, topics
        self.poll_seconds, self.batch_size = poll_seconds, batch_size
        self.keep_published_hours = keep_published_hours
        self.lock_id = zlib.crc32(f"outbox-relay:{service}".encode())
        self.producer: AIOKafkaProducer | None = None

    async def run(self) -> None:
        """Relay forever; on any failure back off and start again (nothing is marked sent unless acked)."""
        backoff = 0.5
        while True:
            try:
                await self._run_as_leader()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying", extra={"backoff_s": backoff})
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10)
            finally:
                await self._stop_producer()

    async def _run_as_leader(self) -> None:
        async with self.engine.connect() as lock_conn:
            while not (await lock_conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.lock_id})).scalar():
                await lock_conn.rollback()
                await asyncio.sleep(1)
            await lock_conn.commit()
            try:
                if self.topics:
                    await ensure_topics(self.bootstrap, self.topics)
                self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True,
                                                 acks="all", linger_ms=2, request_timeout_ms=15000)
                await self.producer.start()
                log.info("outbox relay leading", extra={"service": self.service})
                idle_rounds = 0
                last_check = asyncio.get_running_loop().time()
                while True:
                    if asyncio.get_running_loop().time() - last_check > 1:
                        # Still the leader? If the lock session died (failover, network cut, terminated backend),
                        # another relay may have taken over: stop publishing at once.
                        await lock_conn.execute(text("SELECT 1"))
                        last_check = asyncio.get_running_loop().time()
                    sent = await self.publish_batch()
                    if sent == 0:
                        idle_rounds += 1
                        if idle_rounds % 1200 == 0:
                            await self._purge_published()
                        await asyncio.sleep(self.poll_seconds)
                    else:
                        idle_rounds = 0
            finally:
                try:
                    await lock_conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_id})
                    await lock_conn.commit()
                except Exception:
                    log.warning("could not release the relay lock (session gone)", exc_info=True)

    async def publish_batch(self) -> int:
        """Send the oldest unpublished rows, wait for every ack, then mark them published."""
        ob = self.tables.outbox
        async with self.engine.connect() as conn:
            rows = (await conn.execute(
                select(ob.c.seq, ob.c.topic, ob.c.envelope, ob.c.created_at)
                .where(ob.c.published_at.is_(None)).order_by(ob.c.seq).limit(self.batch_size)
            )).all()
            await conn.rollback()
        if not rows:
            OUTBOX_LAG.labels(self.service).set(0)
            return 0
        assert self.producer is not None
        futures = []
        for row in rows:
            env = EventEnvelope.model_validate(row.envelope)
            futures.append(await self.producer.send(row.topic, value=env.kafka_value(), key=env.key,
                                                    headers=env.kafka_headers()))
        await asyncio.gather(*futures)
        async with self.engine.begin() as conn:
            await conn.execute(update(ob).where(ob.c.seq.in_([r.seq for r in rows]))
                               .values(published_at=datetime.now(UTC)))
        OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        OUTBOX_LAG.labels(self.service).set((datetime.now(UTC) - rows[0].created_at).total_seconds())
        return len(rows)

    async def _purge_published(self) -> None:
        ob = self.tables.outbox
        async with self.engine.begin() as conn:
            await conn.execute(delete(ob).where(
                ob.c.published_at < text(f"now() - interval '{int(self.keep_published_hours)} hours'")))

    async def _stop_producer(self) -> None:
        if self.producer is not None:
            try:
                await self.producer.stop()
            except Exception:
                log.warning("producer stop failed", exc_info=True)
            self.producer = None
