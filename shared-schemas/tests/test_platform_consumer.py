"""EventConsumer against real Kafka and PostgreSQL: dead letters, dedupe by event id, transient retries.

The database is the ATS schema (for `processed_events`) plus a small `applied` table the test handler writes to
inside the consumer's transaction. Each test has its own topic and consumer group."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from typing import Self

import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from ats.db import platform
from shared_schemas.envelope import EventEnvelope
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talentkit.consumer import EventConsumer, TransientError
from talentkit.db import sessionmaker
from talentkit.kafka import ensure_topics


@pytest_asyncio.fixture(loop_scope="session")
async def engine(ats_database):
    eng = create_async_engine(ats_database)
    async with eng.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (n serial PRIMARY KEY, grp text NOT NULL, event_id text NOT NULL,"
                                " subject text NOT NULL, seq int NOT NULL)"))
    yield eng
    await eng.dispose()


class Harness:
    """A topic, a group, a producer and a running EventConsumer whose handler is `behaviour`."""

    def __init__(self, engine, bootstrap: str) -> None:
        self.engine, self.bootstrap = engine, bootstrap
        tag = uuid.uuid4().hex[:8]
        self.topic, self.group = f"test.consumer.{tag}", f"test-group-{tag}"
        self.attempts: Counter[str] = Counter()
        self.behaviour = lambda event, attempt: None  # raise to fail an attempt
        self.consumer = EventConsumer(group=self.group, topics=(self.topic,), bootstrap=bootstrap,
                                      sessions=sessionmaker(engine), tables=platform, handler=self.handle, max_backoff=1.0)
        self.producer: AIOKafkaProducer | None = None
        self.task: asyncio.Task | None = None

    async def handle(self, session, event: EventEnvelope) -> None:
        await session.execute(text("INSERT INTO applied (grp, event_id, subject, seq) VALUES (:g, :e, :s, :q)"),
                              {"g": self.group, "e": event.id, "s": event.subject, "q": event.sequence})
        self.attempts[event.id] += 1
        self.behaviour(event, self.attempts[event.id])  # after the insert: a failure must roll it back

    async def __aenter__(self) -> Self:
        await ensure_topics(self.bootstrap, (self.topic,))
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True)
        await self.producer.start()
        self.task = asyncio.create_task(self.consumer.run())
        return self

    async def __aexit__(self, *exc) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)
        if self.producer:
            await self.producer.stop()

    async def send(self, env: EventEnvelope) -> EventEnvelope:
        assert self.producer is not None
        await self.producer.send_and_wait(self.topic, env.kafka_value(), key=env.key, headers=env.kafka_headers())
        return env

    async def send_raw(self, value: bytes | None, key: bytes, headers: list[tuple[str, bytes]] | None = None) -> None:
        assert self.producer is not None
        await self.producer.send_and_wait(self.topic, value, key=key, headers=headers or [])

    async def applied(self) -> list[tuple[str, str, int]]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT event_id, subject, seq FROM applied WHERE grp = :g ORDER BY n"),
                                       {"g": self.group})).all()
        return [tuple(r) for r in rows]

    async def processed(self) -> set[str]:
        async with self.engine.connect() as conn:
            rows = (await conn.execute(text("SELECT event_id FROM processed_events WHERE consumer = :g"),
                                       {"g": self.group})).all()
        return {r[0] for r in rows}

    async def wait_applied(self, event_id: str, timeout: float = 30.0) -> list[tuple[str, str, int]]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rows = await self.applied()
            if any(r[0] == event_id for r in rows):
                return rows
            await asyncio.sleep(0.1)
        raise AssertionError(f"{event_id} not applied; applied: {await self.applied()}")

    async def dead_letters(self, expected: int, timeout: float = 30.0):
        consumer = AIOKafkaConsumer(self.consumer.dlq_topic, bootstrap_servers=self.bootstrap, group_id=None,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        got = []
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and len(got) < expected:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    got.extend(records)
            extra_until = time.monotonic() + 0.5
            while time.monotonic() < extra_until:
                for records in (await consumer.getmany(timeout_ms=200)).values():
                    got.extend(records)
        finally:
            await consumer.stop()
        return got


def event(subject: str, sequence: int, **data) -> EventEnvelope:
    return EventEnvelope(source="/consumer-test", type="test.thing.changed.v1", subject=subject, sequence=sequence,
                         data={"n": sequence, **data})


async def test_malformed_records_go_to_the_dead_letter_topic_and_the_next_good_record_is_handled(engine, talent_stack):
    async with Harness(engine, talent_stack.kafka_bootstrap) as h:
        key = f"k-{uuid.uuid4().hex[:6]}"
        good_headers = event(key, 1).kafka_headers()
        await h.send_raw(b"not json at all", key.encode(), good_headers)  # headers fine, value not JSON
        await h.send_raw(b'{"n": 1}', key.encode())  # no CloudEvents headers
        await h.send_raw(b'{"n": 1}', key.encode(), [(k, v) for k, v in good_headers if k != "ce_id"])  # no id
        await h.send_raw(b'{"n": 1}', key.encode(), [(k, b"abc" if k == "ce_sequence" else v) for k, v in good_headers])
        good = await h.send(event(key, 2))
        rows = await h.wait_applied(good.id)
        assert rows == [(good.id, key, 2)]
        assert await h.processed() == {good.id}

        dlq = await h.dead_letters(4)
        assert len(dlq) == 4
        errors = []
        for record in sorted(dlq, key=lambda r: r.offset):
            headers = {k: v.decode() for k, v in record.headers}
            assert record.key == key.encode()
            assert headers["dlq_consumer"] == h.group and headers["dlq_attempts"] == "1"
            assert json.loads(headers["dlq_source"])["topic"] == h.topic
            errors.append(headers["dlq_error"])
        assert [e.split(":")[0] for e in errors] == ["InvalidEvent"] * 4
        assert "not JSON" in errors[0] and "ce_specversion" in errors[1] and "ce_id" in errors[2]
        assert min(dlq, key=lambda r: r.offset).value == b"not json at all"  # parked unchanged


async def test_the_same_event_id_delivered_twice_is_applied_once(engine, talent_stack):
    async with Harness(engine, talent_stack.kafka_bootstrap) as h:
        key = f"k-{uuid.uuid4().hex[:6]}"
        first = event(key, 1)
        await h.send(first)
        await h.send(first)  # redelivery (e.g. the relay crashed between publish and mark)
        sentinel = await h.send(event(key, 2))
        rows = await h.wait_applied(sentinel.id)
        assert rows == [(first.id, key, 1), (sentinel.id, key, 2)]
        assert h.attempts[first.id] == 1
        assert await h.processed() == {first.id, sentinel.id}

        # a replay of the whole topic through the same consumer name changes nothing
        replay = AIOKafkaConsumer(h.topic, bootstrap_servers=h.bootstrap, group_id=None,
                                  auto_offset_reset="earliest", enable_auto_commit=False)
        await replay.start()
        try:
            records = []
            deadline = time.monotonic() + 20
            while len(records) < 3 and time.monotonic() < deadline:
                for rs in (await replay.getmany(timeout_ms=300)).values():
                    records.extend(rs)
        finally:
            await replay.stop()
        assert len(records) == 3
        for record in records:
            await h.consumer.handle_record(record)
        assert await h.applied() == rows


async def test_transient_errors_are_retried_in_place_and_applied_once_in_order(engine, talent_stack):
    async with Harness(engine, talent_stack.kafka_bootstrap) as h:
        key = f"k-{uuid.uuid4().hex[:6]}"
        flaky, after = event(key, 1), event(key, 2)

        def behaviour(ev: EventEnvelope, attempt: int) -> None:
            if ev.id == flaky.id and attempt <= 2:
                raise TransientError(f"dependency not ready (attempt {attempt})")

        h.behaviour = behaviour
        await h.send(flaky)
        await h.send(after)
        rows = await h.wait_applied(after.id)
        assert rows == [(flaky.id, key, 1), (after.id, key, 2)]  # once each, flaky first
        assert h.attempts[flaky.id] == 3 and h.attempts[after.id] == 1
        assert await h.dead_letters(0, timeout=0) == []


async def test_handler_raising_value_error_is_dead_lettered_and_the_consumer_continues(engine, talent_stack):
    async with Harness(engine, talent_stack.kafka_bootstrap) as h:
        key = f"k-{uuid.uuid4().hex[:6]}"
        poison, good = event(key, 1, poison=True), event(key, 2)

        def behaviour(ev: EventEnvelope, attempt: int) -> None:
            if ev.data.get("poison"):
                raise ValueError("cannot apply this")

        h.behaviour = behaviour
        await h.send(poison)
        await h.send(good)
        rows = await h.wait_applied(good.id)
        assert rows == [(good.id, key, 2)]  # the poison's insert was rolled back
        assert h.attempts[poison.id] == 1  # not retried
        # not marked processed: a replay from the dead-letter topic (after a fix) would apply it
        assert await h.processed() == {good.id}
        [dead] = await h.dead_letters(1)
        headers = {k: v.decode() for k, v in dead.headers}
        assert headers["dlq_error"] == "ValueError: cannot apply this"
        assert "Traceback" in headers["dlq_trace"] and headers["dlq_attempts"] == "1"
        assert headers["ce_id"] == poison.id and dead.value == poison.kafka_value() and dead.key == key.encode()
        assert EventEnvelope.from_kafka(dead.headers, dead.value).id == poison.id  # still a readable event
