"""Dead letters in the gateway (in-process, real PostgreSQL and Kafka): the consumer's sink keeps each one; replay
writes the original event to the gateway's outbox in the same transaction as the `replayed` mark, and the relay
publishes it unchanged; what never was a CloudEvent cannot be replayed, only discarded."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
from aiokafka import ConsumerRecord
from fastapi import FastAPI
from shared_schemas.envelope import EventEnvelope
from sqlalchemy import select
from sync_gateway.config import Settings
from sync_gateway.db import platform
from sync_gateway.main import create_app
from sync_gateway.operations import dead_letters
from talent_dev.testing import read_topic, running_app
from talentkit.kafka import ensure_topics

ADMIN_KEY = "gw-dead-letters-it-" + uuid.uuid4().hex


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    bootstrap: str

    async def letter(self, topic: str, headers: list[tuple[str, bytes]], value: bytes, key: bytes) -> dict[str, Any]:
        """Dead-letter a record through the consumer's sink; the letter as the API shows it."""
        record = ConsumerRecord(topic=topic, partition=0, offset=7, timestamp=0, timestamp_type=0,
                                key=key, value=value, checksum=None, serialized_key_size=len(key),
                                serialized_value_size=len(value), headers=tuple(headers))
        await dead_letters.sink("sync-gateway", self.app.state.uow_factory)(record, ValueError("boom"), 3)
        listed = (await self.client.get("/v1/dead-letters", params={"limit": 200})).json()["data"]
        (found,) = [d for d in listed if d["topic"] == topic and d["value"] == value.decode(errors="replace")]
        return found

    async def outbox(self, event_id: str) -> list[Any]:
        async with self.app.state.uow_factory() as uow:
            ob = platform.outbox
            return list((await uow.session.execute(select(ob.c.topic, ob.c.envelope).where(ob.c.event_id == event_id))).all())


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def gw(talent_stack) -> AsyncIterator[Gateway]:  # type: ignore[no-untyped-def]
    with talent_stack.database("sync-gateway", "gw_dead_letters") as url:
        settings = Settings.model_validate({"database_url": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                                            "TALENT_ADMIN_API_KEY": ADMIN_KEY, "consumer_enabled": False})
        app = create_app(settings)
        async with running_app(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
            yield Gateway(app, client, talent_stack.kafka_bootstrap)


async def test_replay_goes_through_the_outbox_and_publishes_the_event_unchanged(gw: Gateway) -> None:
    topic = f"dl-replay-{uuid.uuid4().hex[:8]}"
    await ensure_topics(gw.bootstrap, (topic,))
    event = EventEnvelope(source="/ats", type="ats.candidate.created.v1", subject=str(uuid.uuid4()), sequence=4,
                          data={"candidate": {"first_name": "Ada"}}, origin="admin")
    letter = await gw.letter(topic, event.kafka_headers(), event.kafka_value(), event.key)
    assert (letter["status"], letter["event_id"], letter["attempts"]) == ("open", event.id, 3)
    assert letter["error"] == "ValueError: boom" and letter["consumer"] == "sync-gateway"

    r = await gw.client.post(f"/v1/dead-letters/{letter['id']}/replay", headers={"Idempotency-Key": letter["id"]})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "replayed" and r.json()["resolved_by"] == "admin"
    ((row_topic, envelope),) = await gw.outbox(event.id)  # written with the mark, in the request's transaction
    assert row_topic == topic and EventEnvelope.model_validate(envelope) == event

    (record,) = await read_topic(gw.bootstrap, topic, until=lambda got: len(got) >= 1)  # published by the gateway's relay
    assert record.key == event.key and record.value == event.kafka_value()
    assert EventEnvelope.from_kafka(record.headers, record.value) == event  # same id, source, origin, time, data

    again = await gw.client.post(f"/v1/dead-letters/{letter['id']}/replay", headers={"Idempotency-Key": letter["id"]})
    assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"
    twice = await gw.client.post(f"/v1/dead-letters/{letter['id']}/replay")
    assert twice.status_code == 409 and "already replayed" in twice.json()["detail"]

    # the same event dead-lettered again is a new letter; its replay publishes it once more
    second = await gw.letter(topic, event.kafka_headers(), event.kafka_value(), event.key)
    assert second["id"] != letter["id"]
    assert (await gw.client.post(f"/v1/dead-letters/{second['id']}/replay")).status_code == 200
    records = await read_topic(gw.bootstrap, topic, until=lambda got: len(got) >= 2)
    assert [EventEnvelope.from_kafka(r.headers, r.value).id for r in records] == [event.id, event.id]


async def test_a_record_that_is_no_cloudevent_cannot_be_replayed_only_discarded(gw: Gateway) -> None:
    topic = f"dl-poison-{uuid.uuid4().hex[:8]}"
    letter = await gw.letter(topic, [], b"not json " + uuid.uuid4().hex.encode(), b"k")
    r = await gw.client.post(f"/v1/dead-letters/{letter['id']}/replay")
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert "discard" in r.json()["detail"]
    listed = (await gw.client.get("/v1/dead-letters", params={"status": "open", "limit": 200})).json()["data"]
    assert letter["id"] in [d["id"] for d in listed]  # still open: nothing was half-written

    gone = await gw.client.delete(f"/v1/dead-letters/{letter['id']}")
    assert gone.status_code == 200 and gone.json()["status"] == "discarded" and gone.json()["resolved_by"] == "admin"
    assert (await gw.client.delete(f"/v1/dead-letters/{letter['id']}")).status_code == 409
    assert (await gw.client.post(f"/v1/dead-letters/{uuid.uuid4()}/replay")).status_code == 404
    discarded = (await gw.client.get("/v1/dead-letters", params={"status": "discarded"})).json()["data"]
    assert letter["id"] in [d["id"] for d in discarded]
    everything = (await gw.client.get("/v1/dead-letters", params={"status": "", "limit": 200})).json()["data"]
    assert letter["id"] in [d["id"] for d in everything]
    assert (await gw.client.get("/v1/dead-letters", params={"status": "lost"})).status_code == 422
