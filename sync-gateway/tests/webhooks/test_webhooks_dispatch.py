"""The dispatcher and the fan-out on a real PostgreSQL (and Kafka), without the app: two dispatchers share the work
and send each delivery once, an idle one makes no queries until NOTIFY or the next retry wakes it, a slow endpoint
cannot take every slot, waiting deliveries are never read, and the fan-out is idempotent per batch."""
from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest_asyncio
from aiokafka import AIOKafkaProducer
from shared_schemas.envelope import EventEnvelope
from sqlalchemy import func, select, text
from sqlalchemy.dialects import postgresql
from sync_gateway import models  # noqa: F401 - every table mapped
from sync_gateway.db import platform
from sync_gateway.webhooks import fanout, repository
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.dispatcher import Dispatcher
from sync_gateway.webhooks.fanout import FanOut
from sync_gateway.webhooks.models import WebhookDelivery, WebhookEndpoint
from talent_dev.testing import read_topic
from talentkit.db import create_engine, sessionmaker
from talentkit.kafka import ensure_topics
from talentkit.uow import OutboxWriter, UnitOfWorkFactory

HOOKS = WebhookSettings(retry_schedule=[0.5] * 3, jitter=0.0, timeout_seconds=5, idle_seconds=300)


class Db:
    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = create_engine(url)
        self.uows = UnitOfWorkFactory(sessionmaker(self.engine), sinks=(OutboxWriter(platform, "/sync-gateway"),))

    async def endpoint(self, url: str, types: list[str] | None = None) -> WebhookEndpoint:
        async with self.uows() as uow:
            endpoint = WebhookEndpoint.subscribe(url=url, event_types=types or ["*"], description=None, actor="test")
            uow.session.add(endpoint)
            await uow.commit()
        return endpoint

    async def queue(self, endpoint: WebhookEndpoint, n: int, *, due: datetime | None = None) -> list[str]:
        """n deliveries for the endpoint, queued as the fan-out queues them (NOTIFY included)."""
        ids = [str(uuid.uuid4()) for _ in range(n)]
        async with self.uows() as uow:
            await repository.queue(uow.session, [
                {"endpoint_id": endpoint.id, "event_id": i, "event_type": "ats.candidate.created.v1", "body": "{}",
                 "person_ids": [], "status": "pending", "attempt_count": 0, "retry_step": 0,
                 "next_attempt_at": due or datetime.now(UTC)} for i in ids])
            await uow.commit()
        return ids

    async def statuses(self, endpoint: WebhookEndpoint) -> dict[str, int]:
        async with self.uows() as uow:
            rows = (await uow.session.execute(select(WebhookDelivery.status, func.count())
                                              .where(WebhookDelivery.endpoint_id == endpoint.id)
                                              .group_by(WebhookDelivery.status))).all()
        return {status: count for status, count in rows}

    async def has(self, endpoint: WebhookEndpoint, expected: dict[str, int]) -> bool:
        return await self.statuses(endpoint) == expected


@pytest_asyncio.fixture(loop_scope="session")
async def db(gateway_db: Callable[[str], contextlib.AbstractContextManager[str]],
             request: Any) -> AsyncIterator[Db]:
    """A gateway database of this test's own."""
    with gateway_db(f"gw_dispatch_{request.node.name}") as url:
        fresh = Db(url)
        try:
            yield fresh
        finally:
            await fresh.engine.dispose()


@contextlib.asynccontextmanager
async def running(*dispatchers: Dispatcher) -> AsyncIterator[None]:
    tasks = [asyncio.create_task(d.run()) for d in dispatchers]
    try:
        yield
    finally:
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def test_two_dispatchers_on_one_database_send_each_delivery_once(db: Db, receiver: Any, eventually: Any) -> None:
    receiver.slow_seconds = 0.05
    endpoint = await db.endpoint(receiver.base + "/slow/two")
    ids = await db.queue(endpoint, 60)
    hooks = HOOKS.model_copy(update={"max_in_flight": 4, "max_in_flight_per_endpoint": 4})
    first, second = Dispatcher(db.uows, db.url, hooks), Dispatcher(db.uows, db.url, hooks)
    async with running(first, second):
        await eventually(lambda: len(receiver.got("/slow/two")) >= 60, message="60 deliveries received")
        await eventually(lambda: db.has(endpoint, {"succeeded": 60}), message="60 succeeded")
    got = [r.headers["webhook-id"] for r in receiver.got("/slow/two")]
    assert sorted(got) == sorted(ids)  # each once: none lost, none twice
    assert first.attempts > 0 and second.attempts > 0 and first.attempts + second.attempts == 60


async def test_an_idle_dispatcher_waits_for_notify_or_the_next_retry_and_makes_no_queries(db: Db, receiver: Any,
                                                                                         eventually: Any) -> None:
    dispatcher = Dispatcher(db.uows, db.url, HOOKS)  # idle_seconds=300: any wake-up below comes from NOTIFY or a retry
    async with running(dispatcher):
        await eventually(lambda: dispatcher.wakeup.conn is not None and dispatcher.claims >= 1, message="listening")
        claims = dispatcher.claims
        await asyncio.sleep(1.5)
        assert dispatcher.claims == claims  # idle: no polling

        endpoint = await db.endpoint(receiver.script("/woken", 503))  # fails once, then 200
        (event_id,) = await db.queue(endpoint, 1)
        await eventually(lambda: receiver.got("/woken", event_id), timeout=30, message="the delivery, woken by NOTIFY")
        await eventually(lambda: len(receiver.got("/woken", event_id)) == 2, timeout=30,
                         message="the retry 0.5 s later, woken by its due time")
        await eventually(lambda: db.has(endpoint, {"succeeded": 1}), message="the success recorded")
        assert dispatcher.wakeup.notifications >= 1


async def test_a_slow_endpoint_cannot_take_every_slot(db: Db, receiver: Any, eventually: Any) -> None:
    receiver.slow_seconds = 1.0
    slow = await db.endpoint(receiver.base + "/slow/stuck")
    fast = await db.endpoint(receiver.base + "/fast")
    await db.queue(slow, 8)
    fast_ids = await db.queue(fast, 4, due=datetime.now(UTC) + timedelta(milliseconds=50))  # due after the slow ones
    dispatcher = Dispatcher(db.uows, db.url, HOOKS.model_copy(update={"max_in_flight": 4, "max_in_flight_per_endpoint": 2}))
    async with running(dispatcher):
        await eventually(lambda: len(receiver.got("/fast")) == 4, message="the fast endpoint's deliveries")
        slow_done = len(receiver.got("/slow/stuck"))
        await eventually(lambda: len(receiver.got("/slow/stuck")) == 8, message="the slow endpoint's deliveries")
    assert slow_done < 8  # the fast endpoint was served while the slow one still had deliveries queued
    assert sorted(r.headers["webhook-id"] for r in receiver.got("/fast")) == sorted(fast_ids)


async def test_waiting_deliveries_are_never_read_and_the_claim_uses_the_due_index(db: Db, receiver: Any) -> None:
    endpoint = await db.endpoint(receiver.base + "/parked")
    await db.queue(endpoint, 50)
    async with db.uows() as uow:
        assert endpoint.disable("test", datetime.now(UTC))
        uow.session.add(endpoint)
        await repository.park_pending(uow.session, endpoint.id)
        await uow.commit()
    async with db.uows() as uow:
        now = datetime.now(UTC)
        assert await repository.lock_due(uow.session, now=now, limit=100) == []
        assert await repository.next_due_at(uow.session) is None  # nothing to wake up for
        claim = (select(WebhookDelivery.id).where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
                 .order_by(WebhookDelivery.next_attempt_at).limit(10))
        sql = str(claim.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        await uow.session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in (await uow.session.execute(text(f"EXPLAIN {sql}"))).all())
    assert "ix_webhook_deliveries_due" in plan, plan


async def test_the_fan_out_is_idempotent_per_batch_and_skips_what_is_not_a_cloudevent(db: Db, receiver: Any,
                                                                                      talent_stack: Any) -> None:
    topic = f"webhooks-fanout-{uuid.uuid4().hex[:8]}"
    await ensure_topics(talent_stack.kafka_bootstrap, (topic,))
    endpoint = await db.endpoint(receiver.base + "/fan", ["crm.prospect.*"])
    events = [EventEnvelope(source="/crm", type=t, subject=str(uuid.uuid4()), sequence=1, data={"prospect_id": str(uuid.uuid4())})
              for t in ("crm.prospect.created.v1", "crm.prospect.updated.v1", "crm.pool.created.v1")]
    producer = AIOKafkaProducer(bootstrap_servers=talent_stack.kafka_bootstrap)
    await producer.start()
    try:
        for e in events:
            await producer.send_and_wait(topic, key=e.key, value=e.kafka_value(), headers=e.kafka_headers())
        await producer.send_and_wait(topic, key=b"poison", value=b"not json")
    finally:
        await producer.stop()
    records = await read_topic(talent_stack.kafka_bootstrap, topic, until=lambda got: len(got) >= 4)
    fan = FanOut(db.uows, talent_stack.kafka_bootstrap, HOOKS, topics=(topic,))
    assert await fan.queue(records) == 2  # two matching events; the pool event matches nothing, the poison is skipped
    assert await fan.queue(records) == 0  # the same batch again (a crash before the offset commit): nothing new
    assert await db.statuses(endpoint) == {"pending": 2}


async def test_an_event_claiming_a_later_time_but_published_before_the_endpoint_existed_is_not_sent_to_it(
        db: Db, talent_stack: Any, receiver: Any) -> None:
    topic = f"webhooks-history-{uuid.uuid4().hex[:8]}"
    await ensure_topics(talent_stack.kafka_bootstrap, (topic,))
    synced = EventEnvelope(source="/ats", type="ats.candidate.updated.v1", subject=str(uuid.uuid4()), sequence=2,
                           time=datetime.now(UTC) + timedelta(days=365), data={"n": 1})  # a sync client's source_time
    producer = AIOKafkaProducer(bootstrap_servers=talent_stack.kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, key=synced.key, value=synced.kafka_value(), headers=synced.kafka_headers())
        endpoint = await db.endpoint(receiver.base + "/history", ["ats.candidate.*"])
        later = EventEnvelope(source="/ats", type="ats.candidate.updated.v1", subject=synced.subject, sequence=3,
                              time=datetime.now(UTC) - timedelta(days=1), data={"n": 2})
        await producer.send_and_wait(topic, key=later.key, value=later.kafka_value(), headers=later.kafka_headers())
    finally:
        await producer.stop()
    records = await read_topic(talent_stack.kafka_bootstrap, topic, until=lambda got: len(got) >= 2)
    assert await FanOut(db.uows, talent_stack.kafka_bootstrap, HOOKS, topics=(topic,)).queue(records) == 1
    async with db.uows() as uow:
        sent = (await uow.session.execute(select(WebhookDelivery.event_id)
                                          .where(WebhookDelivery.endpoint_id == endpoint.id))).scalars().all()
    assert [str(e) for e in sent] == [later.id]  # history stays history, whatever time an event claims


async def test_with_no_endpoint_the_fan_out_reads_nothing_and_one_created_gets_what_is_published_after_it(
        db: Db, talent_stack: Any, eventually: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(fanout, "IDLE_SKIP_SECONDS", 0.5)
    topic = f"webhooks-idle-{uuid.uuid4().hex[:8]}"
    await ensure_topics(talent_stack.kafka_bootstrap, (topic,))

    def event(n: int) -> EventEnvelope:
        return EventEnvelope(source="/ats", type="ats.candidate.updated.v1", subject=str(uuid.uuid4()), sequence=1,
                             data={"n": n})

    producer = AIOKafkaProducer(bootstrap_servers=talent_stack.kafka_bootstrap)
    await producer.start()
    fan = FanOut(db.uows, talent_stack.kafka_bootstrap, HOOKS, topics=(topic,))
    task = asyncio.create_task(fan.run())
    try:
        before = [event(n) for n in range(3)]
        for e in before:
            await producer.send_and_wait(topic, key=e.key, value=e.kafka_value(), headers=e.kafka_headers())

        async def paused() -> bool:
            consumer = fan.consumer
            return fan.idle and consumer is not None and bool(consumer.assignment()) \
                and consumer.paused() == consumer.assignment()
        await eventually(paused, message="the fan-out pausing its partitions while no endpoint is enabled")
        while_idle = [event(n) for n in range(10, 12)]  # never fetched: the partitions are paused
        for e in while_idle:
            await producer.send_and_wait(topic, key=e.key, value=e.kafka_value(), headers=e.kafka_headers())

        async def nothing_owed() -> bool:  # its group shows no lag for records owed to nobody
            consumer = fan.consumer
            assert consumer is not None
            ends = await consumer.end_offsets(list(consumer.assignment()))
            return sum(ends.values()) == len(before) + len(while_idle) and all(
                [await consumer.committed(tp) == end for tp, end in ends.items()])
        await eventually(nothing_owed, message="the idle fan-out committing the end of its partitions")
        endpoint = await db.endpoint("http://127.0.0.1:9/never-called", ["ats.candidate.*"])
        after = [event(n) for n in range(3, 6)]  # published at once: before the fan-out has seen the endpoint
        for e in after:
            await producer.send_and_wait(topic, key=e.key, value=e.kafka_value(), headers=e.kafka_headers())
        await eventually(lambda: db.has(endpoint, {"pending": 3}), message="the three events after the endpoint")
        assert not fan.idle
        async with db.uows() as uow:
            queued = (await uow.session.execute(select(WebhookDelivery.event_id)
                                                .where(WebhookDelivery.endpoint_id == endpoint.id))).scalars().all()
        assert sorted(str(e) for e in queued) == sorted(e.id for e in after)  # none of those published before it
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await producer.stop()


def _start(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`talent-gateway <args>` as a process, its output in `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        return subprocess.Popen([str(Path(sys.executable).parent / "talent-gateway"), *args], env=env,
                                stdout=out, stderr=subprocess.STDOUT)


def _stop(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as a process manager stops it; its exit code."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(30)


async def test_the_webhooks_command_runs_fan_out_and_dispatcher_in_a_process_of_its_own(
        gateway_db: Callable[[str], contextlib.AbstractContextManager[str]], talent_stack: Any, receiver: Any,
        eventually: Any) -> None:
    with gateway_db("gw_webhooks_process") as url:
        db = Db(url)
        try:
            endpoint = await db.endpoint(receiver.base + "/process", ["ats.candidate.*"])
            group = f"webhooks-process-{uuid.uuid4().hex[:8]}"
            env = {**os.environ, "GATEWAY_DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                   "GATEWAY_WEBHOOKS_CONSUMER_GROUP": group}
            log = Path(talent_stack.repo_root) / ".local" / "test-logs" / "webhooks-process.log"
            proc = _start(["webhooks"], env, log)
            try:
                event = EventEnvelope(source="/ats", type="ats.candidate.created.v1", subject=str(uuid.uuid4()), sequence=1,
                                      data={"candidate": {"first_name": "Grace"}})
                producer = AIOKafkaProducer(bootstrap_servers=talent_stack.kafka_bootstrap)
                await producer.start()
                try:
                    await producer.send_and_wait("ats.candidates", key=event.key, value=event.kafka_value(),
                                                 headers=event.kafka_headers())
                finally:
                    await producer.stop()
                await eventually(lambda: receiver.got("/process", event.id), timeout=60,
                                 message=f"the delivery sent by the webhooks process (log: {log})")
                await eventually(lambda: db.has(endpoint, {"succeeded": 1}), message="the attempt recorded")
            finally:
                code = _stop(proc)
            assert code == 0, log.read_text()[-2000:]
        finally:
            await db.engine.dispose()
