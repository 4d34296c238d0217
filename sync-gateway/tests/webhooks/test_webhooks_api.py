"""Webhooks end to end: the gateway in-process (real PostgreSQL and Kafka), CloudEvents produced to Kafka, and a
real HTTP receiver on 127.0.0.1 that every delivery must satisfy `standardwebhooks.Webhook(secret).verify`."""
from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from fastapi import FastAPI
from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import ATS_CANDIDATES, CRM_PROSPECTS
from standardwebhooks import Webhook
from sync_gateway.config import Settings
from sync_gateway.main import create_app
from sync_gateway.webhooks import repository
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.models import WebhookEndpoint
from sync_gateway.webhooks.ssrf import Destinations
from talent_dev.testing import running_app
from talentkit.kafka import ensure_topics

ADMIN_KEY = "gw-webhooks-it-" + uuid.uuid4().hex


@dataclass
class Gateway:
    app: FastAPI
    client: httpx.AsyncClient
    producer: AIOKafkaProducer
    eventually: Any

    async def create(self, url: str, types: list[str], **extra: Any) -> dict[str, Any]:
        r = await self.client.post("/v1/webhook-endpoints", json={"url": url, "event_types": types, **extra})
        assert r.status_code == 201, r.text
        return r.json()

    async def produce(self, topic: str, type_: str, data: dict[str, Any] | None = None) -> EventEnvelope:
        event = EventEnvelope(source="/ats" if topic.startswith("ats") else "/crm", type=type_,
                              subject=str(uuid.uuid4()), sequence=1, data=data or {"n": uuid.uuid4().hex})
        await self.producer.send_and_wait(topic, key=event.key, value=event.kafka_value(), headers=event.kafka_headers())
        return event

    async def deliveries(self, endpoint_id: str, **params: str) -> list[dict[str, Any]]:
        r = await self.client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params=params)
        assert r.status_code == 200, r.text
        return r.json()["data"]

    async def delivery_of(self, endpoint_id: str, event_id: str, until: Any, message: str) -> dict[str, Any]:
        async def found() -> Any:
            ds = await self.deliveries(endpoint_id, event_id=event_id)
            return ds[0] if ds and until(ds[0]) else None
        return await self.eventually(found, message=message)

    async def endpoint(self, endpoint_id: str) -> dict[str, Any]:
        return (await self.client.get(f"/v1/webhook-endpoints/{endpoint_id}")).json()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def gw(talent_stack, gateway_db, eventually) -> AsyncIterator[Gateway]:  # type: ignore[no-untyped-def]
    with gateway_db("gw_webhooks_api") as url:
        settings = Settings.model_validate({"database_url": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                                            "TALENT_ADMIN_API_KEY": ADMIN_KEY, "consumer_enabled": False})
        # destinations: from the environment, as every test gets it (loopback only)
        hooks = WebhookSettings(retry_schedule=[0.3] * 9, jitter=0.0, idle_seconds=5, timeout_seconds=5)
        await ensure_topics(talent_stack.kafka_bootstrap, (ATS_CANDIDATES, CRM_PROSPECTS))
        producer = AIOKafkaProducer(bootstrap_servers=talent_stack.kafka_bootstrap)
        await producer.start()
        app = create_app(settings, hooks)
        try:
            async with running_app(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
                yield Gateway(app, client, producer, eventually)
        finally:
            await producer.stop()


async def test_the_suite_sends_webhooks_only_to_loopback(gw: Gateway) -> None:
    assert gw.app.state.webhook_settings.destinations is Destinations.LOOPBACK
    for public in ("https://hooks.example.com/x", "http://93.184.216.34/", "http://[2606:4700::1111]/"):
        r = await gw.client.post("/v1/webhook-endpoints", json={"url": public, "event_types": ["*"]})
        assert r.status_code == 422, r.text
        (error,) = r.json()["errors"]
        assert error["field"] == "url" and "only loopback" in error["message"]


async def test_creation_refuses_internal_or_unsendable_urls_and_needs_admin(gw: Gateway, receiver: Any) -> None:
    for bad in ("http://10.0.0.7/hook", "http://192.168.0.2/", "http://169.254.169.254/latest/meta-data/",
                "http://0177.0.0.1:8080/", "http://127.1/", "http://[::ffff:127.0.0.1]/", "http://[2002:a00:1::]/",
                "http://127.0.0.1:99999/x", "http://u:p@127.0.0.1/"):
        r = await gw.client.post("/v1/webhook-endpoints", json={"url": bad, "event_types": ["*"]})
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == ["url"], bad
    r = await gw.client.post("/v1/webhook-endpoints", json={"url": receiver.base + "/x", "event_types": ["ats.*.created"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_types"
    created = await gw.create(receiver.base + "/loopback-ok", ["ats.candidate.*"], description="loopback allowed by setting")
    assert created["secret"].startswith("whsec_") and created["created_by"] == "admin" and created["enabled"]

    key = await gw.client.post("/v1/api-keys", json={"name": "reader", "scopes": ["gateway:read"]})
    reader = {"Authorization": f"Bearer {key.json()['key']}"}
    got = await gw.client.get(f"/v1/webhook-endpoints/{created['id']}", headers=reader)
    assert got.status_code == 200 and "secret" not in got.json() and got.headers["etag"] == '"1"'
    r = await gw.client.post("/v1/webhook-endpoints", headers=reader, json={"url": receiver.base + "/y", "event_types": ["*"]})
    assert r.status_code == 403
    assert (await gw.client.get(f"/v1/webhook-endpoints/{created['id']}/secret", headers=reader)).status_code == 403

    listed = await gw.client.get("/v1/webhook-endpoints", headers=reader)
    assert created["id"] in [e["id"] for e in listed.json()["data"]]
    assert (await gw.client.get(f"/v1/webhook-endpoints/{uuid.uuid4()}")).status_code == 404


async def test_update_needs_if_match(gw: Gateway, receiver: Any) -> None:
    ep = await gw.create(receiver.base + "/patch", ["crm.*"])
    path = f"/v1/webhook-endpoints/{ep['id']}"
    assert (await gw.client.patch(path, json={"description": "d"})).status_code == 428
    assert (await gw.client.patch(path, json={"description": "d"}, headers={"If-Match": '"7"'})).status_code == 412
    for bad in ("http://10.0.0.1/", "http://0177.0.0.1/"):
        r = await gw.client.patch(path, json={"url": bad}, headers={"If-Match": '"1"'})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"
    r = await gw.client.patch(path, json={"url": None}, headers={"If-Match": '"1"'})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"
    r = await gw.client.patch(path, json={"description": "d", "event_types": ["crm.prospect.*"]}, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.headers["etag"] == '"2"' and r.json()["event_types"] == ["crm.prospect.*"]
    off = await gw.client.post(f"{path}/disable")
    assert off.json()["enabled"] is False and off.json()["disabled_reason"] == "Disabled by admin."
    on = await gw.client.post(f"{path}/enable")
    assert on.json()["enabled"] is True and on.json()["disabled_reason"] is None and on.json()["version"] == 4


async def test_delivery_is_signed_retried_with_the_same_id_and_logged(gw: Gateway, receiver: Any) -> None:
    url = receiver.script("/retry", (503, {"Retry-After": "1"}), 503)
    ep = await gw.create(url, ["ats.candidate.*"])
    other = await gw.create(receiver.base + "/crm-only", ["crm.*"])
    event = await gw.produce(ATS_CANDIDATES, "ats.candidate.created.v1", {"candidate": {"first_name": "Ada"}})

    got = await gw.eventually(lambda: len(receiver.got("/retry", event.id)) >= 3 and receiver.got("/retry", event.id),
                              message="three attempts")
    assert len({r.headers["webhook-id"] for r in got}) == 1 and got[0].headers["webhook-id"] == event.id
    assert got[1].at - got[0].at >= 0.9  # Retry-After: 1 was honoured (the schedule says 0.3 s)
    for r in got:
        payload = Webhook(ep["secret"]).verify(r.body, r.headers)
        assert payload["type"] == "ats.candidate.created.v1" and payload["data"] == {"candidate": {"first_name": "Ada"}}
        assert set(payload) == {"type", "timestamp", "data"}
    assert len({r.body for r in got}) == 1

    delivery = await gw.delivery_of(ep["id"], event.id, lambda d: d["status"] == "succeeded", "the succeeded delivery")
    assert delivery["attempt_count"] == 3
    assert [(a["number"], a["status"], a["response_status"]) for a in delivery["attempts"]] == [
        (1, "failed", 503), (2, "failed", 503), (3, "succeeded", 200)]
    assert all(a["latency_ms"] is not None and a["response_excerpt"] for a in delivery["attempts"])
    assert json.loads(delivery["attempts"][0]["response_excerpt"]) == {"answer": 503}

    # the filter kept the ATS event away from the CRM-only endpoint; a CRM event reaches it
    crm_event = await gw.produce(CRM_PROSPECTS, "crm.prospect.created.v1")
    await gw.eventually(lambda: receiver.got("/crm-only", crm_event.id), message="the CRM event at the CRM endpoint")
    assert not receiver.got("/crm-only", event.id) and not await gw.deliveries(other["id"], event_id=event.id)
    assert not receiver.got("/retry", crm_event.id)

    # replay re-sends the same webhook-id and body; the log shows a fourth attempt
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/deliveries/{delivery['id']}/replay")
    assert r.status_code == 202 and r.json()["status"] == "pending", r.text
    again = await gw.eventually(lambda: len(receiver.got("/retry", event.id)) >= 4 and receiver.got("/retry", event.id),
                                message="the replayed attempt")
    assert again[3].body == got[0].body and again[3].headers["webhook-id"] == event.id
    Webhook(ep["secret"]).verify(again[3].body, again[3].headers)
    await gw.delivery_of(ep["id"], event.id, lambda d: d["attempt_count"] == 4 and d["status"] == "succeeded", "4 attempts")


async def test_rotation_signs_with_old_and_new_secret(gw: Gateway, receiver: Any) -> None:
    ep = await gw.create(receiver.base + "/rotate", ["ats.candidate.updated.v1"])
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret", json={"overlap_seconds": 3600})
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new != ep["secret"] and r.json()["previous_secret"] == ep["secret"]
    event = await gw.produce(ATS_CANDIDATES, "ats.candidate.updated.v1")
    got = await gw.eventually(lambda: receiver.got("/rotate", event.id), message="the delivery")
    assert len(got[0].headers["webhook-signature"].split(" ")) == 2
    Webhook(ep["secret"]).verify(got[0].body, got[0].headers)
    Webhook(new).verify(got[0].body, got[0].headers)
    secret = await gw.client.get(f"/v1/webhook-endpoints/{ep['id']}/secret")
    assert secret.json()["secret"] == new and secret.json()["previous_secret"] == ep["secret"]

    # after the overlap only the new secret signs
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret", json={"overlap_seconds": 0})
    newest = r.json()["secret"]
    event = await gw.produce(ATS_CANDIDATES, "ats.candidate.updated.v1")
    got = await gw.eventually(lambda: receiver.got("/rotate", event.id), message="the delivery")
    assert len(got[0].headers["webhook-signature"].split(" ")) == 1
    Webhook(newest).verify(got[0].body, got[0].headers)


async def test_410_gone_disables_and_flags_the_endpoint_and_it_gets_no_new_deliveries(gw: Gateway, receiver: Any) -> None:
    ep = await gw.create(receiver.script("/gone", 410), ["ats.candidate.deleted.v1"])
    event = await gw.produce(ATS_CANDIDATES, "ats.candidate.deleted.v1")

    async def disabled() -> Any:
        body = await gw.endpoint(ep["id"])
        return body if not body["enabled"] else None
    body = await gw.eventually(disabled, message="the endpoint disabled")
    assert "410" in body["disabled_reason"] and body["updated_by"].startswith("sync-gateway") and body["disabled_at"]
    listed = (await gw.client.get("/v1/webhook-endpoints", params={"enabled": "false"})).json()["data"]
    assert ep["id"] in [e["id"] for e in listed]
    (d,) = await gw.deliveries(ep["id"], event_id=event.id)
    assert d["status"] == "failed" and [a["response_status"] for a in d["attempts"]] == [410]
    assert len(receiver.got("/gone", event.id)) == 1
    metrics = (await gw.client.get("/metrics")).text
    assert 'webhook_endpoints_disabled_total' in metrics and "webhook_endpoints_disabled_total 0.0" not in metrics

    # a disabled endpoint gets no new deliveries (a later event for an enabled one proves the fan-out read it)
    await gw.create(receiver.base + "/witness", ["ats.candidate.deleted.v1"])
    later = await gw.produce(ATS_CANDIDATES, "ats.candidate.deleted.v1")
    await gw.eventually(lambda: receiver.got("/witness", later.id), message="the later event at an enabled endpoint")
    assert not await gw.deliveries(ep["id"], event_id=later.id) and not receiver.got("/gone", later.id)
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/deliveries/{d['id']}/replay")
    assert r.status_code == 409


async def test_a_disabled_endpoints_pending_deliveries_wait_and_go_out_once_it_is_enabled(gw: Gateway, receiver: Any) -> None:
    ep = await gw.create(receiver.script("/parked", (503, {"Retry-After": "3600"})), ["crm.prospect.updated.v1"])
    event = await gw.produce(CRM_PROSPECTS, "crm.prospect.updated.v1")
    first = await gw.delivery_of(ep["id"], event.id, lambda d: d["attempt_count"] == 1, "the first attempt")
    assert first["status"] == "pending" and datetime.fromisoformat(first["next_attempt_at"]) > datetime.now(UTC)
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/deliveries/{first['id']}/replay")
    assert r.status_code == 409 and "pending" in r.json()["detail"]

    assert (await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/disable")).json()["enabled"] is False
    (parked,) = await gw.deliveries(ep["id"], event_id=event.id)
    assert parked["status"] == "pending" and parked["next_attempt_at"] is None  # waits: the dispatcher never looks at it

    assert (await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/enable")).json()["enabled"] is True
    done = await gw.delivery_of(ep["id"], event.id, lambda d: d["status"] == "succeeded", "the delivery after enabling")
    assert done["attempt_count"] == 2 and len(receiver.got("/parked", event.id)) == 2


async def test_a_url_that_can_never_be_sent_fails_its_attempts_and_its_ping_answers(gw: Gateway, receiver: Any) -> None:
    # stored before the creation check read URLs as the sender does: `inet_aton` took it, httpx refuses it
    async with gw.app.state.uow_factory() as uow:
        stored = WebhookEndpoint.subscribe(url="http://0177.0.0.1:9/hook", event_types=["crm.prospect.created.v1"],
                                           description=None, actor="test")
        uow.session.add(stored)
        await uow.commit()
    r = await gw.client.post(f"/v1/webhook-endpoints/{stored.id}/ping")
    assert r.status_code == 200, r.text
    (attempt,) = r.json()["attempts"]
    assert r.json()["status"] == "failed" and attempt["response_status"] is None
    assert "destination refused" in attempt["error"] and "Invalid IPv4" in attempt["error"]

    event = await gw.produce(CRM_PROSPECTS, "crm.prospect.created.v1")
    failed = await gw.delivery_of(str(stored.id), event.id, lambda d: d["status"] == "failed", "the delivery given up")
    assert failed["attempt_count"] == 10 and failed["next_attempt_at"] is None  # first try + the 9 retries, then done
    assert all("destination refused" in a["error"] for a in failed["attempts"])
    assert (await gw.endpoint(str(stored.id)))["failing_since"] is not None


async def test_redirects_are_an_answer_never_followed(gw: Gateway, receiver: Any) -> None:
    ep = await gw.create(receiver.script("/moved", (302, {"Location": "http://10.0.0.1/inside"})), ["crm.prospect.created.v1"])
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/ping")
    (attempt,) = r.json()["attempts"]
    assert r.json()["status"] == "failed" and attempt["response_status"] == 302 and len(receiver.got("/moved")) == 1


async def test_deliveries_keep_the_ids_of_the_people_their_events_carry(gw: Gateway, receiver: Any) -> None:
    ep = await gw.create(receiver.base + "/people", ["ats.application.*"])
    candidate = str(uuid.uuid4())
    event = await gw.produce(ATS_CANDIDATES, "ats.application.created.v1", {"candidate_id": candidate, "job_id": str(uuid.uuid4())})
    delivery = await gw.delivery_of(ep["id"], event.id, lambda d: d["status"] == "succeeded", "the delivery")
    async with gw.app.state.uow_factory() as uow:
        found = await repository.deliveries_about(uow.session, [candidate, str(uuid.uuid4())])
        assert [str(d.id) for d in found] == [delivery["id"]] and found[0].person_ids == [candidate]


async def test_ping(gw: Gateway, receiver: Any) -> None:
    ep = await gw.create(receiver.base + "/ping", ["crm.prospect.created.v1"])
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/ping")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "succeeded" and r.json()["attempts"][0]["response_status"] == 200
    (got,) = receiver.got("/ping")
    payload = Webhook(ep["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "webhook.ping" and got.headers["webhook-id"] == r.json()["event_id"]

    bad = await gw.create(receiver.script("/ping-fails", 500), ["crm.prospect.created.v1"])
    r = await gw.client.post(f"/v1/webhook-endpoints/{bad['id']}/ping")
    assert r.json()["status"] == "failed" and r.json()["attempts"][0]["response_status"] == 500
    assert (await gw.endpoint(bad["id"]))["failing_since"] is None
