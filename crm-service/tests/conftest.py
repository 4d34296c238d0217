"""CRM integration fixtures: a fresh, migrated `crm_it` database and the real app (lifespan, outbox relay to the
test Kafka) driven over ASGI."""
from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from crm.config import Settings
from crm.main import create_app
from talentkit.kafka import ensure_topics
from talentkit.testclient import running_app

ADMIN_KEY = "crm-it-admin-" + uuid.uuid4().hex


@dataclass
class CrmHarness:
    app: Any
    client: httpx.AsyncClient  # sends the admin key by default
    kafka_bootstrap: str

    @staticmethod
    def body(**overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"first_name": "Grace", "last_name": "Hopper",
                                "emails": [f"p-{uuid.uuid4().hex[:12]}@example.com"], "source": "sourced",
                                "headline": "Compiler pioneer", "tags": ["cobol"]}
        body.update(overrides)
        return body

    async def events_for(self, subject: str, *, until: Callable[[list[ConsumerRecord]], bool],
                         topic: str = "crm.prospects", timeout: float = 30.0) -> list[ConsumerRecord]:
        """Records of `topic` keyed by `subject` (read from the beginning), once `until(records)` holds."""
        await ensure_topics(self.kafka_bootstrap, (topic,))
        consumer = AIOKafkaConsumer(topic, bootstrap_servers=self.kafka_bootstrap, group_id=None,
                                    auto_offset_reset="earliest", enable_auto_commit=False)
        await consumer.start()
        got: list[ConsumerRecord] = []
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                for records in (await consumer.getmany(timeout_ms=300)).values():
                    got.extend(r for r in records if r.key == subject.encode())
                if until(got):
                    return got
            raise AssertionError(f"timed out on {topic}: {[dict(r.headers).get('ce_type') for r in got]}")
        finally:
            await consumer.stop()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def crm(talent_stack) -> AsyncIterator[CrmHarness]:
    url = talent_stack.fresh_database("crm_it")
    talent_stack.migrate("crm-service", url, "CRM_")
    settings = Settings.model_validate({"database_url": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                                        "TALENT_ADMIN_API_KEY": ADMIN_KEY})
    app = create_app(settings)
    async with running_app(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
        yield CrmHarness(app=app, client=client, kafka_bootstrap=talent_stack.kafka_bootstrap)
