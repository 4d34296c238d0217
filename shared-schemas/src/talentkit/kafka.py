"""Small Kafka helpers: topic creation (and growth to the configured partition count) and a reachability probe.

Partitions: every topic the platform creates gets `KAFKA_TOPIC_PARTITIONS` partitions (default 12). The person
topics (`ats.candidates`, `ats.applications`, `crm.prospects`) need them: a consumer group can use at most one
member per partition, so 12 lets up to 12 gateway replicas share the work. The other topics get the same count:
one knob is simpler to operate than a table, and an idle partition costs the broker next to nothing.

An existing topic with fewer partitions is grown to the configured count at start-up (Kafka can only add
partitions, never remove them). Growing changes which partition a key hashes to, so a person's new events can
land in another partition than their older, still unread ones and be consumed before them. The safe path: stop
the services' outbox relays (the outboxes keep new events), let every consumer group drain to zero lag
(`talent-gateway lag`), then raise `KAFKA_TOPIC_PARTITIONS` and restart everything. Skipping the drain is also
safe for this platform's consumers, which dedupe by event id and skip events older than the per-aggregate
sequence they already applied: order per key then holds again from the change on.
"""
from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaClient
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.errors import InvalidPartitionsError, TopicAlreadyExistsError

from talentkit import background
from talentkit.settings import ServiceSettings

log = logging.getLogger("talentkit.kafka")


def configured_partitions() -> int:
    """The partition count topics get (env `KAFKA_TOPIC_PARTITIONS`)."""
    return ServiceSettings().kafka_topic_partitions


async def ensure_topics(bootstrap: str, topics: list[str] | tuple[str, ...], partitions: int | None = None) -> None:
    """Create missing topics with `partitions` partitions (default: the setting) and grow existing ones that have
    fewer (a consumer cannot subscribe to a missing topic reliably)."""
    partitions = partitions or configured_partitions()
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        # Metadata for all topics: asking for named ones would auto-create missing ones with the broker's default.
        counts = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
        missing = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in counts]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
        grown = [t for t in dict.fromkeys(topics) if t in counts and counts[t] < partitions]
        for topic in grown:
            log.warning("growing topic partitions; keys now map to other partitions for new records",
                        extra={"topic": topic, "from": counts[topic], "to": partitions})
            try:
                await admin.create_partitions({topic: NewPartitions(total_count=partitions)})
            except InvalidPartitionsError:
                pass  # grown meanwhile by another service starting at the same time
        if missing or grown:
            await _until_visible(admin, [t.name for t in missing] + grown, partitions)
    finally:
        await admin.close()
        background.raise_if_cancelled()  # a cancel arriving while the admin client closes is swallowed there


async def _until_visible(admin: AIOKafkaAdminClient, topics: list[str], partitions: int, timeout: float = 10.0) -> None:
    """Wait (bounded) until the broker's metadata shows the new partitions, so clients started next use them all."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        counts = {t["topic"]: len(t["partitions"]) for t in await admin.describe_topics()}
        if all(counts.get(t, 0) >= partitions for t in topics):
            return
        await asyncio.sleep(0.1)
    log.warning("new partitions not visible yet", extra={"topics": topics, "partitions": partitions})


async def kafka_reachable(bootstrap: str, timeout: float = 3.0) -> bool:
    """True when a broker answers a metadata request within the timeout."""
    client = AIOKafkaClient(bootstrap_servers=bootstrap, request_timeout_ms=int(timeout * 1000))
    try:
        await asyncio.wait_for(client.bootstrap(), timeout)
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable"
        return False
    finally:
        await client.close()
        background.raise_if_cancelled()
