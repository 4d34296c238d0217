"""The parallel consumer against real Kafka and PostgreSQL: order per key with keys in parallel, head-of-line
isolation, parking, the outage circuit, two-phase handlers, offsets at the lowest unfinished record, crashes
(a member SIGKILLed in its own process), two members sharing a group, `wants()`, and topic partitions.

The database is the ATS schema (for `processed_events`) plus the tables the handlers write. Each test has its
own topic and consumer group."""
from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import pytest
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from ats.db import platform
from prometheus_client import REGISTRY
from shared_schemas.envelope import EventEnvelope
from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from talent_dev.testing import wait_until
from talentkit.consumer import EventConsumer, TransientError
from talentkit.db import sessionmaker
from talentkit.kafka import ensure_topics

MEMBER = Path(__file__).with_name("consumer_member.py")


@dataclass
class Db:
    engine: AsyncEngine
    url: str  # for the members in their own processes


@pytest_asyncio.fixture(loop_scope="session")
async def db(ats_database):
    url = ats_database
    eng = create_async_engine(url, pool_size=20)
    async with eng.begin() as conn:
        await conn.execute(text("CREATE TABLE applied (n serial PRIMARY KEY, grp text NOT NULL, event_id text NOT NULL,"
                                " subject text NOT NULL, seq int NOT NULL, member text)"))
        await conn.execute(text("CREATE TABLE external_calls (n serial PRIMARY KEY, grp text NOT NULL, event_id text NOT NULL)"))
    yield Db(eng, url)
    await eng.dispose()


def event(subject: str, sequence: int, **data: Any) -> EventEnvelope:
    return EventEnvelope(source="/consumer-test", type="test.thing.changed.v1", subject=subject, sequence=sequence,
                         data={"n": sequence, **data})


class Bench:
    """A topic, a group, a producer, and the consumers a test starts on them (stopped at the end)."""

    def __init__(self, db: Db, bootstrap: str, partitions: int = 12) -> None:
        self.db, self.bootstrap, self.partitions = db, bootstrap, partitions
        tag = uuid.uuid4().hex[:8]
        self.topic, self.group = f"test.parallel.{tag}", f"test-parallel-{tag}"
        self.producer: AIOKafkaProducer | None = None
        self.tasks: list[asyncio.Task] = []
        self.members: list[subprocess.Popen] = []
        self.offsets: dict[str, tuple[int, int]] = {}  # event id -> (partition, offset)

    async def __aenter__(self) -> Self:
        await ensure_topics(self.bootstrap, (self.topic,), self.partitions)
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, acks="all", enable_idempotence=True)
        await self.producer.start()
        return self

    async def __aexit__(self, *exc) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        for proc in self.members:
            proc.kill()
            proc.wait()
        if self.producer:
            await self.producer.stop()

    def consumer(self, **kwargs: Any) -> EventConsumer:
        """A consumer of the bench's topic and group, running until the test ends (or `stop`)."""
        kwargs = {"sessions": sessionmaker(self.db.engine), "tables": platform, "base_backoff": 0.05, "max_backoff": 0.5,
                  **kwargs}
        consumer = EventConsumer(group=self.group, topics=(self.topic,), bootstrap=self.bootstrap, **kwargs)
        self.tasks.append(asyncio.create_task(consumer.run()))
        return consumer

    async def stop(self, consumer_index: int = -1) -> None:
        task = self.tasks.pop(consumer_index)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    def member(self, name: str, style: str, logs: Path, **config: Any) -> subprocess.Popen:
        """A consumer of the bench's group in its own process (see consumer_member.py), logging to `logs`."""
        config = {"url": self.db.url, "bootstrap": self.bootstrap, "topic": self.topic,
                  "group": self.group, "member": name, "style": style, **config}
        log = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - the child process writes to it
        proc = subprocess.Popen([sys.executable, str(MEMBER), json.dumps(config)], stdout=log, stderr=log)
        self.members.append(proc)
        return proc

    async def send(self, *envs: EventEnvelope) -> list[EventEnvelope]:
        assert self.producer is not None
        futures = [await self.producer.send(self.topic, e.kafka_value(), key=e.key, headers=e.kafka_headers()) for e in envs]
        for env, meta in zip(envs, await asyncio.gather(*futures), strict=True):
            self.offsets[env.id] = (meta.partition, meta.offset)
        return list(envs)

    async def rows(self, sql: str, **params: Any) -> list[tuple]:
        async with self.db.engine.connect() as conn:
            return [tuple(r) for r in (await conn.execute(text(sql), {"g": self.group, **params})).all()]

    async def applied(self) -> list[tuple[str, str, int]]:
        """(event id, subject, seq) in the order they were applied."""
        return await self.rows("SELECT event_id, subject, seq FROM applied WHERE grp = :g ORDER BY n")

    async def processed(self) -> set[str]:
        return {r[0] for r in await self.rows("SELECT event_id FROM processed_events WHERE consumer = :g")}

    async def wait_applied(self, ids: set[str], timeout: float = 60.0) -> list[tuple[str, str, int]]:
        async def done():
            rows = await self.applied()
            return rows if ids <= {r[0] for r in rows} else None
        return await wait_until(done, timeout, f"{len(ids)} events applied", interval=0.2)

    async def committed(self) -> dict[int, int]:
        """The group's committed offset per partition."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            got = await admin.list_consumer_group_offsets(self.group)
        finally:
            await admin.close()
        return {tp.partition: meta.offset for tp, meta in got.items() if tp.topic == self.topic}

    async def stable_members(self) -> int:
        """How many members the group has once it is stable (0 while it rebalances)."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            [resp] = await admin.describe_consumer_groups([self.group])
        finally:
            await admin.close()
        [group] = resp.to_object()["groups"]
        return len(group["members"]) if group["state"] == "Stable" else 0

    async def end_offsets(self) -> dict[int, int]:
        reader = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=None)
        await reader.start()
        try:
            tps = [TopicPartition(self.topic, p) for p in range(self.partitions)]
            return {tp.partition: end for tp, end in (await reader.end_offsets(tps)).items()}
        finally:
            await reader.stop()

    async def dead_letters(self, expected: int, timeout: float = 30.0) -> list:
        reader = AIOKafkaConsumer(f"dlq.{self.group}", bootstrap_servers=self.bootstrap, group_id=None,
                                  auto_offset_reset="earliest", enable_auto_commit=False)
        await reader.start()
        got: list = []
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and len(got) < expected:
                for records in (await reader.getmany(timeout_ms=300)).values():
                    got.extend(records)
            settle_until = time.monotonic() + 0.5
            while time.monotonic() < settle_until:
                for records in (await reader.getmany(timeout_ms=200)).values():
                    got.extend(records)
        finally:
            await reader.stop()
        return got


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


class Tracker:
    """Counts the handler calls running at once and remembers the most seen."""

    def __init__(self) -> None:
        self.now = self.most = 0

    def __enter__(self) -> Self:
        self.now += 1
        self.most = max(self.most, self.now)
        return self

    def __exit__(self, *exc) -> None:
        self.now -= 1


INSERT = text("INSERT INTO applied (grp, event_id, subject, seq) VALUES (:g, :e, :s, :q)")


def insert(bench: Bench):
    """An in-transaction handler body writing the `applied` row."""
    async def write(session, ev: EventEnvelope) -> None:
        await session.execute(INSERT, {"g": bench.group, "e": ev.id, "s": ev.subject, "q": ev.sequence})
    return write


def assert_in_order_per_key(rows: list[tuple[str, str, int]]) -> None:
    by_key: dict[str, list[int]] = defaultdict(list)
    for _, subject, seq in rows:
        by_key[subject].append(seq)
    for subject, seqs in by_key.items():
        assert seqs == sorted(seqs), (subject, seqs)


async def test_each_keys_events_apply_in_offset_order_while_different_keys_overlap(db, talent_stack):
    async with Bench(db, talent_stack.kafka_bootstrap) as bench:
        running = Tracker()
        write = insert(bench)

        async def handler(session, ev: EventEnvelope) -> None:
            with running:
                await asyncio.sleep(random.uniform(0, 0.02))
                await write(session, ev)

        bench.consumer(handler=handler, max_in_flight=16)
        keys = [f"k{i}-{uuid.uuid4().hex[:4]}" for i in range(24)]
        sent = await bench.send(*(event(k, seq) for seq in range(1, 9) for k in keys))
        rows = await bench.wait_applied({e.id for e in sent})

        assert Counter(r[0] for r in rows) == Counter(e.id for e in sent)  # each once
        assert_in_order_per_key(rows)
        assert all(sorted(s for _, k, s in rows if k == key) == list(range(1, 9)) for key in keys)
        assert running.most > 1  # keys really ran concurrently


async def test_a_key_failing_transiently_does_not_hold_up_the_other_keys_then_succeeds(db, talent_stack):
    async with Bench(db, talent_stack.kafka_bootstrap) as bench:
        write = insert(bench)
        attempts: Counter[str] = Counter()
        others: set[str] = set()

        async def handler(session, ev: EventEnvelope) -> None:
            attempts[ev.id] += 1
            # the stuck event fails at least three times, and until every other key's events are applied: a
            # consumer that retried it in place would never get there
            if ev.id == stuck.id and (attempts[ev.id] <= 3 or not others <= await bench.processed()):
                raise TransientError(f"not ready (attempt {attempts[ev.id]})")
            await write(session, ev)

        slow = f"slow-{uuid.uuid4().hex[:4]}"
        stuck, after = event(slow, 1), event(slow, 2)
        bench.consumer(handler=handler, max_attempts=100)
        await bench.send(stuck, after)
        rest = await bench.send(*(event(f"k{i}-{uuid.uuid4().hex[:4]}", seq) for i in range(10) for seq in (1, 2)))
        others.update(e.id for e in rest)
        rows = await bench.wait_applied({stuck.id, after.id} | others)

        order = [r[0] for r in rows]
        assert attempts[stuck.id] >= 4
        assert order.index(stuck.id) > max(order.index(i) for i in others)  # everyone else went first
        assert order.index(stuck.id) < order.index(after.id)  # and the slow key kept its own order
        assert Counter(order) == Counter({stuck.id, after.id} | others) and attempts[after.id] == 1
        assert await bench.dead_letters(0, timeout=0) == []


async def test_a_key_failing_forever_is_parked_after_max_attempts_and_its_later_events_still_apply(db, talent_stack):
    async with Bench(db, talent_stack.kafka_bootstrap) as bench:
        write = insert(bench)
        attempts: Counter[str] = Counter()
        sunk: list[tuple[str, str, int]] = []

        async def handler(session, ev: EventEnvelope) -> None:
            attempts[ev.id] += 1
            if ev.data.get("broken"):
                raise TransientError("the other side keeps timing out")
            await write(session, ev)

        async def sink(record, error: BaseException, attempts_made: int) -> None:
            sunk.append((dict(record.headers)["ce_id"].decode(), type(error).__name__, attempts_made))

        parked_before = metric("consumer_events_parked_total", consumer=bench.group)
        bench.consumer(handler=handler, max_attempts=3, on_dead_letter=sink)
        key = f"k-{uuid.uuid4().hex[:6]}"
        broken, later = await bench.send(event(key, 1, broken=True), event(key, 2))
        rows = await bench.wait_applied({later.id})

        assert [r[0] for r in rows] == [later.id]
        assert attempts[broken.id] == 3
        [dead] = await bench.dead_letters(1)
        headers = {k: v.decode() for k, v in dead.headers}
        assert headers["ce_id"] == broken.id and dead.value == broken.kafka_value() and dead.key == key.encode()
        assert headers["dlq_error"] == "TransientError: the other side keeps timing out"
        assert headers["dlq_attempts"] == "3" and headers["dlq_consumer"] == bench.group
        assert json.loads(headers["dlq_source"])["offset"] == bench.offsets[broken.id][1]
        assert sunk == [(broken.id, "TransientError", 3)]
        assert await bench.processed() == {later.id}  # a replay from the dead letters would apply it
        assert metric("consumer_events_parked_total", consumer=bench.group) == parked_before + 1


class PeerDown(Exception):
    """The stand-in for the gateway's PeerUnavailable."""


async def test_a_peer_outage_holds_everything_parks_nothing_and_all_applies_after_recovery(db, talent_stack):
    async with Bench(db, talent_stack.kafka_bootstrap) as bench:
        write = insert(bench)
        peer = {"down": True, "refusals": 0}

        async def handler(session, ev: EventEnvelope) -> None:
            if peer["down"]:
                peer["refusals"] += 1
                raise PeerDown("connection refused")
            await write(session, ev)

        # max_attempts=2: had any refusal counted toward parking, events would land on the dead-letter topic
        bench.consumer(handler=handler, is_outage=lambda e: isinstance(e, PeerDown), max_attempts=2)
        sent = await bench.send(*(event(f"k{i}-{uuid.uuid4().hex[:4]}", seq) for i in range(10) for seq in (1, 2, 3)))
        await wait_until(lambda: metric("consumer_circuit_open", consumer=bench.group) == 1, 30, "the circuit to open", interval=0.2)
        at_open = peer["refusals"]
        await wait_until(lambda: peer["refusals"] >= at_open + 4, 30, "several probes refused", interval=0.2)
        assert await bench.applied() == []
        peer["down"] = False

        rows = await bench.wait_applied({e.id for e in sent})
        assert Counter(r[0] for r in rows) == Counter(e.id for e in sent)
        assert_in_order_per_key(rows)
        assert metric("consumer_circuit_open", consumer=bench.group) == 0
        assert await bench.dead_letters(0, timeout=0) == []


async def test_two_phase_effects_commit_with_the_processed_row_and_replays_skip_the_handler(db, talent_stack):
    async with Bench(db, talent_stack.kafka_bootstrap) as bench:
        calls: Counter[str] = Counter()

        async def handle(ev: EventEnvelope):
            calls[ev.id] += 1
            if ev.data.get("nothing"):
                return None  # nothing to write: its processed row goes in a batch

            async def effects(session) -> None:
                await session.execute(INSERT, {"g": bench.group, "e": ev.id, "s": ev.subject, "q": ev.sequence})
                if ev.data.get("poison"):
                    raise ValueError("the effects failed after their first write")
            return effects

        bench.consumer(handle=handle)
        key = f"k-{uuid.uuid4().hex[:6]}"
        first, noop, poison, last = event(key, 1), event(key, 2, nothing=True), event(key, 3, poison=True), event(key, 4)
        await bench.send(first, first, noop, poison, last)  # `first` redelivered
        rows = await bench.wait_applied({last.id})

        assert [r[0] for r in rows] == [first.id, last.id]  # the poison's write was rolled back with its row
        assert calls[first.id] == 1  # the duplicate was skipped before the handler ran
        assert await wait_until(lambda: _eq(bench.processed(), {first.id, noop.id, last.id}), 10,
                                "the batched row of the event that changed nothing", interval=0.2)
        [dead] = await bench.dead_letters(1)
        assert dict(dead.headers)["ce_id"] == poison.id.encode()


async def test_a_running_consumer_looks_up_only_the_records_that_were_there_when_it_got_its_partitions(db, talent_stack):
    """Records published before the member got its partitions may have been applied by a previous owner: they are
    looked up in the processed-events table. Records published since only this member has fetched: a running
    consumer's steady state costs no look-up, and a copy of an event it finished (published twice) is looked up
    and skipped."""
    engine = create_async_engine(db.url)
    lookups: list[str] = []

    @sa_event.listens_for(engine.sync_engine, "before_cursor_execute")
    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "processed_events" in statement:
            lookups.append(statement)
    try:
        async with Bench(db, talent_stack.kafka_bootstrap, partitions=1) as bench:
            calls: Counter[str] = Counter()

            async def handle(ev: EventEnvelope):
                calls[ev.id] += 1

                async def effects(session) -> None:
                    await session.execute(INSERT, {"g": bench.group, "e": ev.id, "s": ev.subject, "q": ev.sequence})
                return effects

            earlier = await bench.send(*(event(f"e{i}-{uuid.uuid4().hex[:4]}", 1) for i in range(6)))
            bench.consumer(handle=handle, sessions=sessionmaker(engine))
            await bench.wait_applied({e.id for e in earlier})
            assert lookups, "the records there before the member joined were looked up"

            lookups.clear()
            later = []
            for i in range(10):  # one at a time: each its own fetch
                later += await bench.send(event(f"l{i}-{uuid.uuid4().hex[:4]}", 1))
                await bench.wait_applied({later[-1].id})
            assert lookups == []  # none of the fresh records cost a processed-events query

            twice = event(f"t-{uuid.uuid4().hex[:4]}", 1)
            await bench.send(twice)
            await bench.wait_applied({twice.id})
            await bench.send(twice)  # the relay published it again (a crash between publish and mark)
            last = (await bench.send(event(twice.subject, 2)))[-1]  # same key: after the copy
            rows = await bench.wait_applied({last.id})

            assert len(lookups) >= 1  # the copy of an event finished here was looked up...
            assert calls[twice.id] == 1  # ...and skipped before its handler
            assert Counter(r[0] for r in rows)[twice.id] == 1
            assert all(calls[e.id] == 1 for e in earlier + later)
    finally:
        await engine.dispose()


async def _eq(got, expected) -> bool:
    return (await got) == expected


async def test_a_member_killed_mid_flight_then_restarted_applies_every_two_phase_event_exactly_once(db, talent_stack, tmp_path):
    async with Bench(db, talent_stack.kafka_bootstrap) as bench:
        keys = [f"k{i}-{uuid.uuid4().hex[:4]}" for i in range(30)]
        sent = await bench.send(*(event(k, seq) for seq in range(1, 9) for k in keys))
        # paced (about 3 s for all 240) so that the kill lands mid-flight even when this test process reacts late
        first = bench.member("first", "two_phase", tmp_path, max_delay=0.2, max_in_flight=8)

        async def some_applied():
            return len(await bench.applied()) >= 40
        await wait_until(some_applied, 60, "the first member applying events", interval=0.2)
        first.kill()  # SIGKILL: no drain, no commit, no leave-group
        first.wait()
        killed_with = len(await bench.applied())
        assert killed_with < len(sent), "the kill came too late to prove anything"

        bench.member("second", "two_phase", tmp_path)
        rows = await bench.wait_applied({e.id for e in sent}, timeout=90)
        assert Counter(r[0] for r in rows) == Counter(e.id for e in sent)  # exactly once
        assert_in_order_per_key(rows)
        assert await bench.processed() == {e.id for e in sent}
        # the external calls happened at least once each (idempotency keys make repeats harmless)
        assert {r[0] for r in await bench.rows("SELECT event_id FROM external_calls WHERE grp = :g")} == {e.id for e in sent}


async def test_a_restart_redelivers_from_the_stuck_record_and_dedupes_what_was_applied_after_it(db, talent_stack):
    async with Bench(db, talent_stack.kafka_bootstrap, partitions=1) as bench:
        write = insert(bench)
        calls: Counter[str] = Counter()
        seen: list[str] = []
        stuck_key = f"stuck-{uuid.uuid4().hex[:4]}"

        async def handler(session, ev: EventEnvelope) -> None:
            calls[ev.id] += 1
            if ev.subject == stuck_key and ev.data.get("first_run"):
                raise TransientError("not yet")
            await write(session, ev)

        def wants(ev: EventEnvelope) -> bool:
            seen.append(ev.id)
            return True

        before = await bench.send(*(event(f"a{i}-{uuid.uuid4().hex[:4]}", 1) for i in range(5)))
        [stuck] = await bench.send(event(stuck_key, 1, first_run=True))
        after = await bench.send(*(event(f"b{i}-{uuid.uuid4().hex[:4]}", 1) for i in range(10)))
        bench.consumer(handler=handler, max_attempts=1000)
        await bench.wait_applied({e.id for e in before + after})
        stuck_offset = bench.offsets[stuck.id][1]
        await wait_until(lambda: _eq(bench.committed(), {0: stuck_offset}), 20, "the commit at the stuck record", interval=0.2)
        await bench.stop()
        assert await bench.committed() == {0: stuck_offset}  # stopping committed nothing past it

        # the next run, where the stuck event succeeds
        seen.clear()

        async def handler2(session, ev: EventEnvelope) -> None:
            calls[ev.id] += 1
            await write(session, ev)
        bench.consumer(handler=handler2, wants=wants)
        rows = await bench.wait_applied({stuck.id})

        assert set(seen) == {stuck.id} | {e.id for e in after}  # from the stuck record on, nothing before it
        assert Counter(r[0] for r in rows) == Counter(e.id for e in before + [stuck] + after)  # each once
        assert all(calls[e.id] == 1 for e in after)  # redelivered but deduplicated before the handler
        await wait_until(lambda: _eq(bench.committed(), {0: stuck_offset + 1 + len(after)}), 20, "the commit at the end", interval=0.2)


async def test_two_members_share_a_twelve_partition_topic_and_a_killed_one_loses_nothing(db, talent_stack, tmp_path):
    async with Bench(db, talent_stack.kafka_bootstrap, partitions=12) as bench:
        keys = [f"k{i}-{uuid.uuid4().hex[:4]}" for i in range(36)]
        bench.member("a", "in_transaction", tmp_path)
        victim = bench.member("b", "in_transaction", tmp_path)
        await wait_until(lambda: _eq(bench.stable_members(), 2), 60, "both members in the group", interval=0.2)
        sent = await bench.send(*(event(k, 1) for k in keys))

        async def both_working():
            members = {r[0] for r in await bench.rows("SELECT DISTINCT member FROM applied WHERE grp = :g")}
            return members == {"a", "b"}
        await wait_until(both_working, 60, "both members applying events", interval=0.2)
        for seq in range(2, 7):
            sent += await bench.send(*(event(k, seq) for k in keys))
            if seq == 3:
                victim.kill()  # SIGKILL mid-stream
                victim.wait()
            await asyncio.sleep(0.2)

        rows = await bench.wait_applied({e.id for e in sent}, timeout=90)
        assert Counter(r[0] for r in rows) == Counter(e.id for e in sent)  # exactly once
        assert_in_order_per_key(rows)
        late = await bench.rows("SELECT member FROM applied WHERE grp = :g AND seq = 6")
        assert {m for (m,) in late} == {"a"}  # the survivor took over every partition


async def test_refused_events_are_finished_without_any_database_row(db, talent_stack):
    async with Bench(db, talent_stack.kafka_bootstrap) as bench:
        write = insert(bench)
        handled: list[str] = []

        async def handler(session, ev: EventEnvelope) -> None:
            handled.append(ev.id)
            await write(session, ev)

        bench.consumer(handler=handler, wants=lambda ev: not ev.data.get("echo"))
        key = f"k-{uuid.uuid4().hex[:6]}"
        echoes = await bench.send(*(event(key, seq, echo=True) for seq in (1, 2, 3)))
        [kept] = await bench.send(event(key, 4))
        await bench.wait_applied({kept.id})

        assert handled == [kept.id]
        assert await bench.processed() == {kept.id}  # no row for the refused ones
        assert not {e.id for e in echoes} & {r[0] for r in await bench.applied()}
        ends = {p: end for p, end in (await bench.end_offsets()).items() if end}
        await wait_until(lambda: _eq(bench.committed(), ends), 20, "offsets committed past the refused events", interval=0.2)


async def test_ensure_topics_creates_with_the_configured_count_and_grows_a_smaller_topic(talent_stack, monkeypatch):
    bootstrap = talent_stack.kafka_bootstrap
    tag = uuid.uuid4().hex[:8]
    fresh, small = f"test.partitions.fresh.{tag}", f"test.partitions.small.{tag}"

    async def counts() -> dict[str, int]:
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            return {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics([fresh, small])}
        finally:
            await admin.close()

    await ensure_topics(bootstrap, (small,), partitions=3)  # as the platform created them before
    monkeypatch.setenv("KAFKA_TOPIC_PARTITIONS", "7")
    await ensure_topics(bootstrap, (fresh, small))
    assert await counts() == {fresh: 7, small: 7}

    monkeypatch.delenv("KAFKA_TOPIC_PARTITIONS")
    await ensure_topics(bootstrap, (fresh,), partitions=2)  # never shrinks
    assert (await counts())[fresh] == 7
    await ensure_topics(bootstrap, (fresh,))  # the default is 12
    assert (await counts())[fresh] == 12


async def test_effects_committing_together_share_one_transaction_and_a_failing_one_fails_alone(db):
    from talentkit.consuming.grouping import GroupCommitter

    grp = f"group-commit-{uuid.uuid4().hex[:8]}"
    committer = GroupCommitter(sessions=sessionmaker(db.engine), table=platform.processed_events, consumer=grp,
                               parallel=1)

    def effects(event_id: str, fail: bool = False):
        async def write(session) -> None:
            await session.execute(text("INSERT INTO applied (grp, event_id, subject, seq) VALUES (:g, :e, 's', 0)"),
                                  {"g": grp, "e": event_id})
            if fail:
                raise RuntimeError("this event's own failure")
        return write

    together = await asyncio.gather(*(committer(f"t{i}", effects(f"t{i}")) for i in range(10)))
    assert together == [True] * 10 and committer.groups == 1  # ten events, one transaction
    ids = [f"e{i}" for i in range(20)]
    first = asyncio.create_task(committer("e-first", effects("e-first")))
    results = await asyncio.gather(*(committer(i, effects(i, fail=i == "e7")) for i in ids), return_exceptions=True)
    assert await first is True
    assert [type(r).__name__ for r in results if r is not True] == ["RuntimeError"] and isinstance(results[7], RuntimeError)
    # one group of 21 rolled back on e7's failure, then each committed alone: 20 more transactions, e7 failing alone
    assert committer.groups == 1 + 20
    again = await asyncio.gather(committer("e3", effects("e3")), committer("e4", effects("e4")))
    assert again == [False, False]  # processed before: the effects never ran a second time
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT event_id FROM applied WHERE grp = :g"), {"g": grp})).scalars().all()
        claimed = (await conn.execute(text("SELECT count(*) FROM processed_events WHERE consumer = :g"), {"g": grp})).scalar()
    assert sorted(rows) == sorted(["e-first", *(i for i in ids if i != "e7"), *(f"t{i}" for i in range(10))])
    assert claimed == 30  # e7 left no processed row: it is retried


async def test_a_group_whose_effects_are_all_folds_commits_in_one_statement_without_a_transaction(db):
    from talentkit.consuming.grouping import Fold, Folded, GroupCommitter

    grp = f"fold-{uuid.uuid4().hex[:8]}"
    async with db.engine.begin() as conn:
        await conn.execute(text("CREATE TABLE IF NOT EXISTS folded (grp text, subject text, seq bigint,"
                                " PRIMARY KEY (grp, subject))"))
    fold = Fold(name="folded", columns=(("grp", "text"), ("subject", "text"), ("seq", "bigint")),
                sql="INSERT INTO folded (grp, subject, seq) SELECT grp, subject, seq FROM {rows}"
                    " ON CONFLICT (grp, subject) DO UPDATE SET seq = EXCLUDED.seq")
    committer = GroupCommitter(sessions=sessionmaker(db.engine), table=platform.processed_events, consumer=grp,
                               parallel=1)

    def row(subject: str, seq: int) -> Folded:
        return Folded([(fold, {"grp": grp, "subject": subject, "seq": seq})])

    statements: list[bool] = []  # whether each went out with no transaction (asyncpg's adapter sends no BEGIN)

    def count(conn, cursor, statement, *_):
        statements.append(conn.connection.dbapi_connection.autocommit)
    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        together = await asyncio.gather(*(committer(f"f{i}", row(f"s{i}", i)) for i in range(10)))
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert together == [True] * 10 and committer.groups == 1
    assert statements == [True]  # the claim and ten rows: one statement, no BEGIN nor COMMIT around it

    async def table() -> dict[str, int]:
        async with db.engine.connect() as conn:
            rows = await conn.execute(text("SELECT subject, seq FROM folded WHERE grp = :g"), {"g": grp})
            return {subject: seq for subject, seq in rows}
    assert await table() == {f"s{i}": i for i in range(10)}

    # claimed before: their rows are not written again (seq would become 99)
    assert await asyncio.gather(committer("f3", row("s3", 99)), committer("f4", row("s4", 99))) == [False, False]
    # two rows for one row of the table in one group: PostgreSQL refuses the statement, each event then commits
    # alone in a transaction (its claim and its row); so does one event whose two rows hit one row
    statements.clear()
    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        both = await asyncio.gather(committer("x0", row("s0", 50)), committer("x1", row("s1", 51)),
                                    committer("x2", row("s1", 52)))
        twice = await committer("x3", Folded(row("s2", 60).rows + row("s2", 61).rows))
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert both == [True, True, True] and twice is True
    assert statements == [True] + [False] * 6 + [True] + [False] * 3
    # a group with any other kind of effects commits in a transaction, folds included
    async def other(session) -> None:
        await session.execute(text("INSERT INTO applied (grp, event_id, subject, seq) VALUES (:g, 'o', 's', 0)"),
                              {"g": grp})
    statements.clear()
    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        mixed = await asyncio.gather(committer("y0", row("s9", 70)), committer("y1", row("s8", 80)),
                                     committer("y2", other))
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert mixed == [True, True, True]
    assert statements == [False] * 4  # the claim, two fold rows and the other write: in one transaction
    got = await table()
    assert (got["s3"], got["s4"], got["s0"], got["s1"], got["s2"], got["s8"], got["s9"]) == (3, 4, 50, 52, 61, 80, 70)
    async with db.engine.connect() as conn:
        claimed = (await conn.execute(text("SELECT count(*) FROM processed_events WHERE consumer = :g"), {"g": grp})).scalar()
    assert claimed == 10 + 4 + 3

    # the rule `ONE_STATEMENT` rests on: nothing writes after it in its session (it could not roll back with it)
    from talentkit.db import ONE_STATEMENT
    async with sessionmaker(db.engine)() as session:
        await session.execute(text("INSERT INTO folded (grp, subject, seq) VALUES (:g, 'z', 1)")
                              .execution_options(**ONE_STATEMENT), {"g": grp})
        with pytest.raises(Exception, match="after a ONE_STATEMENT write"):
            await session.execute(text("INSERT INTO folded (grp, subject, seq) VALUES (:g, 'z2', 1)"), {"g": grp})
    assert "z" in await table() and "z2" not in await table()


async def test_a_quiet_moment_commits_each_event_in_its_own_group(db):
    from talentkit.consuming.grouping import GroupCommitter

    grp = f"group-commit-{uuid.uuid4().hex[:8]}"
    committer = GroupCommitter(sessions=sessionmaker(db.engine), table=platform.processed_events, consumer=grp)

    async def nothing(session) -> None:
        return None
    for i in range(3):
        assert await committer(f"q{i}", nothing) is True
    assert committer.groups == 3
