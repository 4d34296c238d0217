"""Transactional outbox: the event row commits with the change; a relay publishes rows in order.

Guarantees: no event is lost (a row stays unpublished until Kafka acknowledged it with acks=all);
order per key is kept (rows go out in `seq` order, one relay at a time, idempotent producer; `seq` is taken at
insert, and the services lock an aggregate's row before changing it, so one aggregate's rows get increasing `seq`
in the order their transactions commit); delivery is at least once (a crash between publish and mark re-sends;
consumers dedupe by event id).
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
import zlib
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer
from shared_schemas.envelope import EventEnvelope
from sqlalchemy import ARRAY, BigInteger, any_, bindparam, delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from talentkit import background
from talentkit.auth import RequestContext
from talentkit.db import PlatformTables
from talentkit.kafka import ensure_topics
from talentkit.metrics import OUTBOX_LAG, OUTBOX_PUBLISHED
from talentkit.sealing import sealer_for
from talentkit.uow import OUTBOX_CHANNEL, write_outbox

log = logging.getLogger("talentkit.outbox")
LOCK_POLL_SECONDS = 1.0  # how often a standby relay tries to become the leader


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
    await write_outbox(session, tables.outbox, [{
        "event_id": envelope.id, "topic": topic, "aggregate_type": aggregate_type, "aggregate_id": aggregate_id,
        "event_type": event_type, "envelope": envelope.model_dump_json()}])
    return envelope


class OutboxRelay:
    """Publishes outbox rows to Kafka; one active relay per database (advisory lock), others stand by.

    The leader waits on `LISTEN` (every transaction writing outbox rows NOTIFYs at commit) and looks anyway every
    `poll_seconds` (a safety net); under a stream of commits it lingers `linger_seconds` between rounds; it checks every `keepalive_seconds` that its lock session is alive. It reads and
    marks rows on that same session, so a relay whose lock session died can no longer mark anything published."""

    def __init__(self, *, engine: AsyncEngine, tables: PlatformTables, bootstrap: str, service: str,
                 topics: tuple[str, ...] = (), poll_seconds: float = 5.0, batch_size: int = 500,
                 keep_published_hours: int = 24, keepalive_seconds: float = 5.0, purge_seconds: float = 60.0,
                 linger_seconds: float = 0.01) -> None:
        self.engine, self.tables, self.bootstrap = engine, tables, bootstrap
        self.linger_seconds = linger_seconds
        self.service, self.topics = service, topics
        self.poll_seconds, self.batch_size = poll_seconds, batch_size
        self.keep_published_hours = keep_published_hours
        self.keepalive_seconds, self.purge_seconds = keepalive_seconds, purge_seconds
        self.lock_id = zlib.crc32(f"outbox-relay:{service}".encode())
        self.producer: AIOKafkaProducer | None = None
        ob = tables.outbox
        self._pending = (select(ob.c.seq, ob.c.topic, ob.c.envelope, ob.c.created_at)
                         .where(ob.c.published_at.is_(None)).order_by(ob.c.seq).limit(batch_size))
        self._mark = (update(ob).where(ob.c.seq == any_(bindparam("seqs", type_=ARRAY(BigInteger))))
                      .values(published_at=bindparam("at")))  # one prepared statement whatever the batch size

    async def run(self) -> None:
        """Relay forever; on any failure back off and start again (nothing is marked sent unless acked). The first
        back-off outlasts a standby's lock poll, so a healthy standby takes over from a leader that failed."""
        backoff = 2 * LOCK_POLL_SECONDS
        while True:
            try:
                await self._run_as_leader()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying", extra={"backoff_s": backoff})
                await background.sleep(backoff)
                backoff = min(backoff * 2, 10)
            finally:
                await self._stop_producer()

    async def _run_as_leader(self) -> None:
        async with self.engine.connect() as pooled:
            conn = await pooled.execution_options(isolation_level="AUTOCOMMIT")  # each statement on its own
            while not (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.lock_id})).scalar():
                await background.sleep(LOCK_POLL_SECONDS)
            try:
                if self.topics:
                    await ensure_topics(self.bootstrap, self.topics)
                self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True,
                                                 acks="all", linger_ms=2, request_timeout_ms=15000)
                await self.producer.start()
                log.info("outbox relay leading", extra={"service": self.service})
                await self._lead(conn)
            finally:
                try:
                    await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.lock_id})
                except Exception:
                    log.warning("could not release the relay lock (session gone)", exc_info=True)

    async def _lead(self, conn: AsyncConnection) -> None:
        """Publish whenever notified (or every `poll_seconds`) until the lock session fails."""
        wake = asyncio.Event()

        def notified(*_: Any) -> None:
            wake.set()

        driver = (await conn.get_raw_connection()).driver_connection
        assert driver is not None  # asyncpg's connection under SQLAlchemy's adapter
        await driver.add_listener(OUTBOX_CHANNEL, notified)
        driver.add_termination_listener(notified)  # a dead lock session shows at once
        try:
            await self._publish_when_woken(conn, wake, driver)
        finally:
            driver.remove_termination_listener(notified)
            with contextlib.suppress(Exception):  # the connection goes back to the pool without our LISTEN
                await driver.remove_listener(OUTBOX_CHANNEL, notified)

    async def _publish_when_woken(self, conn: AsyncConnection, wake: asyncio.Event, driver: Any) -> None:
        clock = asyncio.get_running_loop().time
        checked = purged = clock()
        published_at = clock() - self.linger_seconds
        while True:
            background.raise_if_cancelled()  # under a backlog the loop may never reach its wait
            # Linger (as a Kafka producer's linger.ms): woken again within `linger_seconds` of the last publish,
            # commits are coming fast; the ones of the next few milliseconds then share one read, one produce
            # request and one mark instead of a round each. A lone commit (quiet times) is published at once.
            if (wait := published_at + self.linger_seconds - clock()) > 0:
                await asyncio.sleep(wait)
            if driver.is_closed() or clock() - checked >= self.keepalive_seconds:
                # Still the leader? If the lock session died (failover, network cut, terminated backend),
                # another relay may have taken over: stop at once (this raises).
                await conn.execute(text("SELECT 1"))
                checked = clock()
            if clock() - purged >= self.purge_seconds:
                await self._purge_published(conn)
                purged = clock()
            wake.clear()  # before reading: a commit notified from here on wakes the next round
            published = await self.publish_batch(conn)
            if published == self.batch_size:
                published_at = clock() - self.linger_seconds
                continue  # more are waiting: no lingering
            if published:
                published_at = clock()
            await background.wait_until_set(wake, min(self.poll_seconds, self.keepalive_seconds))

    async def publish_batch(self, conn: AsyncConnection) -> int:
        """Send the oldest unpublished rows, wait for every ack, then mark them published."""
        rows = (await conn.execute(self._pending)).all()
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
        await conn.execute(self._mark, {"seqs": [r.seq for r in rows], "at": datetime.now(UTC)})
        OUTBOX_PUBLISHED.labels(self.service).inc(len(rows))
        OUTBOX_LAG.labels(self.service).set((datetime.now(UTC) - rows[0].created_at).total_seconds())
        return len(rows)

    async def _purge_published(self, conn: AsyncConnection) -> None:
        ob = self.tables.outbox
        await conn.execute(delete(ob).where(
            ob.c.published_at < text(f"now() - interval '{int(self.keep_published_hours)} hours'")))

    async def _stop_producer(self) -> None:
        if self.producer is not None:
            try:
                await self.producer.stop()
            except Exception:
                log.warning("producer stop failed", exc_info=True)
            self.producer = None
            background.raise_if_cancelled()  # stop() swallows a cancel that arrives while it closes
