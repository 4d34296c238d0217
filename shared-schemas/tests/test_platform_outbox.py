"""The transactional outbox relay against real PostgreSQL and Kafka: nothing is lost when the service or the
broker is down, order per key is kept, and only one relay per database publishes.

Uses the ATS schema (its `outbox` table) in a fresh database; each test has its own topic and relay name."""
from __future__ import annotations

import asyncio
import time
import uuid
from collections import defaultdict

import pytest_asyncio
from ats.db import platform
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from talent_dev.testing import free_port, read_topic, wait_until
from talentkit.auth import Principal, RequestContext
from talentkit.outbox import OutboxRelay, stage_event

CTX = RequestContext(principal=Principal("outbox-test", frozenset({"*"})))


@pytest_asyncio.fixture(loop_scope="session")
async def engine(ats_database):
    eng = create_async_engine(ats_database)
    yield eng
    await eng.dispose()


async def stage(engine: AsyncEngine, topic: str, key: str, sequence: int) -> str:
    """One committed transaction staging one event for aggregate `key`."""
    async with async_sessionmaker(engine)() as session, session.begin():
        env = await stage_event(session, platform, source="/outbox-test", topic=topic, aggregate_type="thing",
                                aggregate_id=key, event_type="test.thing.changed.v1", sequence=sequence,
                                data={"key": key, "n": sequence}, ctx=CTX)
    return env.id


async def unpublished(engine: AsyncEngine, topic: str) -> int:
    ob = platform.outbox
    async with engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(ob)
                                   .where(ob.c.topic == topic, ob.c.published_at.is_(None)))).scalar_one()


def per_key(records) -> dict[str, list[int]]:
    out: dict[str, list[int]] = defaultdict(list)
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        h = dict(r.headers)
        assert r.key == h["ce_subject"]
        out[r.key.decode()].append(int(h["ce_sequence"]))
    return dict(out)


def event_ids(records) -> list[str]:
    return [dict(r.headers)["ce_id"].decode() for r in records]


def start(relay: OutboxRelay) -> asyncio.Task:
    return asyncio.create_task(relay.run())


async def stop(task: asyncio.Task, timeout: float = 15.0) -> None:
    """Cancel a relay task; cancel again if it survived (cleanup only: one cancel should do, see below)."""
    deadline = time.monotonic() + timeout
    while not task.done():
        if time.monotonic() > deadline:
            raise AssertionError("the relay task does not stop")
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
    await asyncio.gather(task, return_exceptions=True)


async def kill_lock_session(engine: AsyncEngine, relay: OutboxRelay) -> int:
    """Terminate the PostgreSQL session holding `relay`'s leader lock (DB failover, network cut, idle timeout)."""
    async with engine.connect() as conn:
        killed = (await conn.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted "
            "AND objid = :k AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"k": relay.lock_id})).all()
        await conn.commit()
    return len(killed)


def new_relay(engine: AsyncEngine, bootstrap: str, name: str, topic: str) -> OutboxRelay:
    return OutboxRelay(engine=engine, tables=platform, bootstrap=bootstrap, service=name, topics=(topic,),
                       poll_seconds=0.05)


async def test_rows_staged_while_no_relay_runs_are_published_once_a_relay_starts_in_order_per_key(engine, talent_stack):
    topic, name = f"test.outbox.{uuid.uuid4().hex[:8]}", f"relay-{uuid.uuid4().hex[:8]}"
    keys = [f"k{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    staged = [await stage(engine, topic, key, seq) for seq in range(1, 6) for key in keys]
    assert await unpublished(engine, topic) == 15  # the "service" is down: nothing went anywhere

    task = start(new_relay(engine, talent_stack.kafka_bootstrap, name, topic))
    try:
        await wait_until(lambda: _is(unpublished(engine, topic), 0), timeout=30, message="all rows marked published", interval=0.1)
    finally:
        await stop(task)
    records = await read_topic(talent_stack.kafka_bootstrap, topic, until=lambda got: len(got) >= 15, settle=1.0)
    assert sorted(event_ids(records)) == sorted(staged)  # each once
    assert per_key(records) == {k: [1, 2, 3, 4, 5] for k in keys}


async def test_relay_with_unreachable_broker_publishes_and_marks_nothing_then_a_real_broker_gets_everything(
        engine, talent_stack):
    topic, name = f"test.outbox.{uuid.uuid4().hex[:8]}", f"relay-{uuid.uuid4().hex[:8]}"
    key = f"k-{uuid.uuid4().hex[:6]}"
    staged = [await stage(engine, topic, key, seq) for seq in (1, 2, 3)]
    dead = start(new_relay(engine, f"127.0.0.1:{free_port()}", name, topic))
    try:
        await asyncio.sleep(1.0)
        staged += [await stage(engine, topic, key, seq) for seq in (4, 5, 6)]  # the service keeps writing
        await asyncio.sleep(2.0)
        assert not dead.done(), "the relay must keep retrying, not die"
        assert await unpublished(engine, topic) == 6
    finally:
        await stop(dead)
    # the same relay name on the same engine: the failed relay must have let go of the leader lock
    live = start(new_relay(engine, talent_stack.kafka_bootstrap, name, topic))
    try:
        await wait_until(lambda: _is(unpublished(engine, topic), 0), timeout=30, message="all rows marked published", interval=0.1)
    finally:
        await stop(live)
    records = await read_topic(talent_stack.kafka_bootstrap, topic, until=lambda got: len(got) >= 6, settle=1.0)
    assert event_ids(records) == staged and per_key(records) == {key: [1, 2, 3, 4, 5, 6]}


async def test_two_relays_on_one_database_only_one_leads_and_every_row_is_published_once_in_order(
        engine, ats_database, talent_stack):
    topic, name = f"test.outbox.{uuid.uuid4().hex[:8]}", f"relay-{uuid.uuid4().hex[:8]}"
    keys = [f"k{i}-{uuid.uuid4().hex[:6]}" for i in range(3)]
    other_engine = create_async_engine(ats_database)  # a second "pod"
    relays = [new_relay(engine, talent_stack.kafka_bootstrap, name, topic),
              new_relay(other_engine, talent_stack.kafka_bootstrap, name, topic)]
    tasks = [start(r) for r in relays]
    staged: list[str] = []
    try:
        for seq in range(1, 11):
            for key in keys:
                staged.append(await stage(engine, topic, key, seq))
            await asyncio.sleep(0.02)
        await wait_until(lambda: _is(unpublished(engine, topic), 0), timeout=30, message="all rows marked published", interval=0.1)

        leaders = [r for r in relays if r.producer is not None]
        assert len(leaders) == 1, "exactly one relay holds a producer"
        async with engine.connect() as conn:
            holders = (await conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :k "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"k": relays[0].lock_id})).scalar_one()
        assert holders == 1

        # the leader goes away: the standby takes over and nothing is lost
        leader_index = relays.index(leaders[0])
        await stop(tasks[leader_index])
        for key in keys:
            staged.append(await stage(engine, topic, key, 11))
        await wait_until(lambda: _is(unpublished(engine, topic), 0), timeout=20, message="standby takes over", interval=0.1)
        assert relays[1 - leader_index].producer is not None
    finally:
        for t in tasks:
            await stop(t)
        await other_engine.dispose()
    records = await read_topic(talent_stack.kafka_bootstrap, topic, until=lambda got: len(got) >= len(staged), settle=1.0)
    ids = event_ids(records)
    assert len(ids) == len(set(ids)) == len(staged) and set(ids) == set(staged)  # each exactly once
    assert per_key(records) == {k: list(range(1, 12)) for k in keys}


async def _is(awaitable, expected) -> bool:
    return (await awaitable) == expected


async def test_an_idle_relay_publishes_a_commit_as_soon_as_postgresql_notifies_it_without_polling(engine, talent_stack):
    topic, name = f"test.outbox.{uuid.uuid4().hex[:8]}", f"relay-{uuid.uuid4().hex[:8]}"
    relay = OutboxRelay(engine=engine, tables=platform, bootstrap=talent_stack.kafka_bootstrap, service=name,
                        topics=(topic,), poll_seconds=600, keepalive_seconds=600)  # it would not look by itself
    task = start(relay)
    try:
        await wait_until(lambda: _true(relay.producer is not None), timeout=30, message="the relay to lead", interval=0.1)
        await asyncio.sleep(0.5)  # past its first look: waiting now
        staged = [await stage(engine, topic, "k-notified", seq) for seq in (1, 2)]
        await wait_until(lambda: _is(unpublished(engine, topic), 0), timeout=20, message="the notified relay to publish", interval=0.1)
    finally:
        await stop(task)
    records = await read_topic(talent_stack.kafka_bootstrap, topic, until=lambda got: len(got) >= 2, settle=1.0)
    assert event_ids(records) == staged


async def test_a_relay_that_loses_its_leader_lock_stops_publishing(engine, ats_database, talent_stack):
    topic, name = f"test.outbox.{uuid.uuid4().hex[:8]}", f"relay-{uuid.uuid4().hex[:8]}"
    other_engine = create_async_engine(ats_database)
    relays = [new_relay(engine, talent_stack.kafka_bootstrap, name, topic),
              new_relay(other_engine, talent_stack.kafka_bootstrap, name, topic)]
    tasks = [start(r) for r in relays]
    try:
        await wait_until(lambda: _true(any(r.producer is not None for r in relays)), timeout=30, message="a leader", interval=0.1)
        leader = next(r for r in relays if r.producer is not None)
        standby = relays[1 - relays.index(leader)]
        assert await kill_lock_session(engine, leader) == 1
        await wait_until(lambda: _true(standby.producer is not None), timeout=15, message="the standby to lead", interval=0.1)
        await wait_until(lambda: _true(leader.producer is None), timeout=5, message="the old leader to step down", interval=0.1)
    finally:
        for t in tasks:
            await stop(t)
        await other_engine.dispose()


async def test_a_relay_whose_lock_session_died_still_stops_on_cancel(engine, talent_stack):
    topic, name = f"test.outbox.{uuid.uuid4().hex[:8]}", f"relay-{uuid.uuid4().hex[:8]}"
    relay = new_relay(engine, talent_stack.kafka_bootstrap, name, topic)
    task = start(relay)
    try:
        await wait_until(lambda: _true(relay.producer is not None), timeout=30, message="the relay to lead", interval=0.1)
        assert await kill_lock_session(engine, relay) == 1
        await asyncio.sleep(0.5)
        task.cancel()  # what the app's lifespan does on shutdown
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, "the relay survived its cancellation"
    finally:
        await stop(task)


async def _true(value: bool) -> bool:
    return value
