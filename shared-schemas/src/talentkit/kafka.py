"""Small Kafka helpers: topic creation and a reachability probe."""
from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaClient
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

log = logging.getLogger("talentkit.kafka")
DEFAULT_PARTITIONS = 3


async def ensure_topics(bootstrap: str, topics: list[str] | tuple[str, ...], partitions: int = DEFAULT_PARTITIONS) -> None:
    """Create the topics that do not exist yet (a consumer cannot subscribe to a missing topic reliably)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


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
