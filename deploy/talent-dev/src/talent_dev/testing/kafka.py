"""Reading what reached a Kafka topic, the way a test checks what a service published."""
from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import ConsumerRecord
from talentkit.kafka import ensure_topics


def _any(_record: ConsumerRecord) -> bool:
    return True


def _some(records: list[ConsumerRecord]) -> bool:
    return bool(records)


async def read_topic(bootstrap: str, topic: str, *, match: Callable[[ConsumerRecord], bool] = _any,
                     until: Callable[[list[ConsumerRecord]], bool] = _some, timeout: float = 30.0,
                     settle: float = 0.0) -> list[ConsumerRecord]:
    """The records of `topic` (read from the beginning, no consumer group) that `match`, once `until(records)`
    holds, and `settle` seconds more for any that follow (duplicates arrive right behind); AssertionError after
    `timeout` seconds."""
    await ensure_topics(bootstrap, (topic,))
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
                                enable_auto_commit=False)
    await consumer.start()
    got: list[ConsumerRecord] = []
    try:
        deadline = time.monotonic() + timeout
        while True:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                got.extend(r for r in records if match(r))
            if until(got):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out on {topic}: {len(got)} matching records: "
                                     f"{[(r.key, dict(r.headers).get('ce_type')) for r in got]}")
        settle_until = time.monotonic() + settle
        while time.monotonic() < settle_until:
            for records in (await consumer.getmany(timeout_ms=200)).values():
                got.extend(r for r in records if match(r))
    finally:
        await consumer.stop()
    return got


async def partitions_of(bootstrap: str, topic: str) -> list[int]:
    """The partition numbers of `topic` (empty when it does not exist)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    for t in described:
        if t.get("topic") == topic and not t.get("error_code"):
            return [p["partition"] for p in t.get("partitions", [])]
    return []


async def read_to_end(bootstrap: str, topic: str, timeout: float = 20.0) -> list[ConsumerRecord]:
    """Every record on `topic` from the beginning up to its end as of now (manual assignment, a fresh group);
    empty when the topic does not exist."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=f"test-reader-{uuid.uuid4().hex}",
                                enable_auto_commit=False, auto_offset_reset="earliest")
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        parts = await partitions_of(bootstrap, topic)
        if not parts:
            return []
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        end = await consumer.end_offsets(tps)
        deadline = time.monotonic() + timeout
        while True:
            positions = {tp: await consumer.position(tp) for tp in tps}
            if all(positions[tp] >= end[tp] for tp in tps):
                break
            if time.monotonic() > deadline:
                raise AssertionError(f"could not read {topic} to its end: at {positions}, end {end}")
            batch = await consumer.getmany(*tps, timeout_ms=500)
            for tp_records in batch.values():
                records.extend(r for r in tp_records if r.offset < end[TopicPartition(r.topic, r.partition)])
    finally:
        await consumer.stop()
    return records


def header(record: ConsumerRecord, name: str) -> str | None:
    """A Kafka header of a record, decoded (None when absent)."""
    for key, value in record.headers or ():
        if key == name:
            return value.decode() if value is not None else None
    return None


def headers_of(record: ConsumerRecord) -> dict[str, str]:
    """Every header of a record, decoded."""
    return {k: v.decode() for k, v in record.headers}
