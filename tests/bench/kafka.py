"""What the bench reads from Kafka: every event written to a topic from now on (a tap, no load on the services),
consumer-group lag, and moving the gateway's groups to the end of the topics between sections."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from shared_schemas.envelope import EventEnvelope, InvalidEvent
from talentkit.sealing import KeyUnavailable, Unsealer, http_key_fetch

logging.getLogger("aiokafka").setLevel(logging.ERROR)
BENCH_GROUP_PREFIX = "bench-"
T = TypeVar("T")


def write_time(event: EventEnvelope, aggregate: str) -> float:
    """When the service wrote the change: the record's `updated_at` in the event's snapshot (wall clock, seconds).

    Not the CloudEvent's `time`: for a write by the gateway that is the *source* time of the change in the other
    system (the gateway sends it as `Source-Time`), which would make every sync look instant."""
    snapshot = event.data.get(aggregate) if isinstance(event.data, dict) else None
    raw = (snapshot or {}).get("updated_at") or (snapshot or {}).get("created_at")
    return datetime.fromisoformat(raw).timestamp() if isinstance(raw, str) else event.time.timestamp()


@contextlib.asynccontextmanager
async def consumer(bootstrap: str, **kwargs: Any) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer, stopped on exit."""
    client = AIOKafkaConsumer(bootstrap_servers=bootstrap, **kwargs)
    await client.start()
    try:
        yield client
    finally:
        # aiokafka's stop() raises CancelledError when it comes before the consumer's background task first ran
        await asyncio.sleep(0)
        await client.stop()


async def topic_partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """The partitions of those of `topics` that exist."""
    described = await _admin(bootstrap, lambda admin: admin.describe_topics(topics))
    return sorted(TopicPartition(t["topic"], p["partition"]) for t in described if not t.get("error_code")
                  for p in t.get("partitions", []))


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    tps = await topic_partitions(bootstrap, topics)
    async with consumer(bootstrap) as client:
        return await client.end_offsets(tps) if tps else {}


async def consumer_at_end(bootstrap: str, topics: list[str], **kwargs: Any) -> AIOKafkaConsumer:
    """A started consumer without a group, assigned every partition of `topics` at its end, positions fixed before
    it returns (nothing written after this is missed)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, **kwargs)
    await consumer.start()
    tps = await topic_partitions(bootstrap, topics)
    consumer.assign(tps)
    await consumer.seek_to_end(*tps)
    for tp in tps:
        await consumer.position(tp)
    return consumer


class EventTap:
    """Reads `topics` from their current end in the background and hands each CloudEvent to `on_event`, with the
    time its record reached Kafka (the record timestamp, seconds). `urls` (`/ats` and `/crm` -> base URL) and
    `headers`: open the personal values sealed in events with keys from their producer, as the gateway does
    (opening takes time but changes no figure: latencies come from the write time in the event and the record
    timestamp)."""

    def __init__(self, bootstrap: str, topics: list[str], on_event: Callable[[EventEnvelope, float], None],
                 urls: dict[str, str] | None = None, headers: dict[str, str] | None = None) -> None:
        self.bootstrap, self.topics, self.on_event = bootstrap, topics, on_event
        self.urls, self.headers = urls, headers or {}
        self.consumer: AIOKafkaConsumer | None = None
        self.task: asyncio.Task[None] | None = None
        self.count = 0

    async def start(self) -> None:
        """Fix the starting positions (the end, now) before returning: nothing written after this is missed."""
        # The figures come from timestamps (the write time in the event, the record's), not from when the tap reads
        # a record: it may read late and in bulk. It asks the broker twice a second, or when 256 KiB wait, instead of
        # for every record and 20 times a second when idle, which loaded the machine it measures (the broker most).
        self.consumer = await consumer_at_end(self.bootstrap, self.topics, fetch_max_wait_ms=500,
                                              fetch_min_bytes=256 * 1024)
        self.task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        assert self.consumer is not None
        async with httpx.AsyncClient(timeout=30) as client:
            unsealer = Unsealer(http_key_fetch(self.urls, self.headers, client)) if self.urls else None
            while True:
                batches = await self.consumer.getmany(timeout_ms=200, max_records=2000)
                fetched: list[tuple[EventEnvelope, float]] = []
                for records in batches.values():
                    for record in records:
                        try:
                            fetched.append((EventEnvelope.from_kafka(record.headers, record.value), record.timestamp / 1000))
                        except InvalidEvent:
                            continue
                if unsealer is not None:  # one key request per fetch, as the gateway asks: the tap loads no service
                    await unsealer.prefetch(event for event, _ in fetched)
                for event, at in fetched:
                    try:
                        if unsealer is not None:
                            event = (await unsealer.open(event)).envelope
                    except KeyUnavailable:
                        continue
                    self.count += 1
                    self.on_event(event, at)

    async def stop(self) -> None:
        await stop_consuming(self.task, self.consumer)


async def stop_consuming(task: asyncio.Task[None] | None, consumer: AIOKafkaConsumer | None) -> None:
    """Cancel a consuming loop and stop its consumer (either may never have started)."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
    if consumer is not None:
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await consumer.stop()


async def _admin(bootstrap: str, call: Callable[[AIOKafkaAdminClient], Awaitable[T]], timeout: float = 30) -> T:
    """`call(admin)`, retried while the broker is still settling (no group coordinator yet, groups loading)."""
    deadline = asyncio.get_running_loop().time() + timeout
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        while True:
            try:
                return await call(admin)
            except KafkaError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    """The committed offsets of a consumer group."""
    offsets = await _admin(bootstrap, lambda admin: admin.list_consumer_group_offsets(group))
    return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}


async def total_lag(bootstrap: str, groups: set[str]) -> int:
    """Records the groups have yet to commit, over the partitions each has committed offsets for."""
    lag = 0
    for group in groups:
        done = await committed(bootstrap, group)
        ends = await end_offsets(bootstrap, sorted({tp.topic for tp in done}))
        lag += sum(max(end - done.get(tp, 0), 0) for tp, end in ends.items())
    return lag


async def group_lag(bootstrap: str, group: str, topics: list[str]) -> int:
    """Records on `topics` the group has not committed yet (a group that never committed lags by everything)."""
    ends = await end_offsets(bootstrap, topics)
    done = await committed(bootstrap, group)
    return sum(max(end - done.get(tp, 0), 0) for tp, end in ends.items())


async def active_groups(bootstrap: str) -> set[str]:
    """Consumer groups the broker knows, but the bench's own."""
    groups = await _admin(bootstrap, lambda admin: admin.list_consumer_groups())
    return {g[0] for g in groups if not g[0].startswith(BENCH_GROUP_PREFIX)}


async def skip_to_end(bootstrap: str, groups: set[str], timeout: float = 30) -> dict[str, int]:
    """Commit the end of every topic for `groups` and any other group but the bench's own (their members must be
    stopped): the next section starts with no backlog left by the one before. Returns the records skipped per
    group. A group whose stopped member the broker has not let go yet refuses the commit: retried until `timeout`."""
    groups = groups | await active_groups(bootstrap)
    topics = [t for t in await _admin(bootstrap, lambda admin: admin.list_topics()) if not t.startswith("__")]
    ends = await end_offsets(bootstrap, topics)
    skipped: dict[str, int] = {}
    for group in sorted(groups):
        done = await committed(bootstrap, group)
        skipped[group] = sum(max(end - done.get(tp, 0), 0) for tp, end in ends.items())
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            try:
                async with consumer(bootstrap, group_id=group, enable_auto_commit=False) as client:
                    client.assign(list(ends))
                    await client.commit(dict(ends))
                break
            except KafkaError:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                await asyncio.sleep(1)
    return skipped
