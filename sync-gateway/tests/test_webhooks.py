"""Webhooks end to end: the gateway in-process (real PostgreSQL and Kafka), CloudEvents produced to Kafka, and a
real HTTP receiver on 127.0.0.1 that every delivery must satisfy `standardwebhooks.Webhook(secret).verify`."""
from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import AIOKafkaProducer
from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import ATS_CANDIDATES, CRM_PROSPECTS
from standardwebhooks import Webhook
from sync_gateway.config import Settings
from sync_gateway.main import create_app
from sync_gateway.webhooks.config import WebhookSettings
from talentkit.kafka import ensure_topics
from talentkit.testclient import running_app

ADMIN_KEY = "gw-webhooks-it-" + uuid.uuid4().hex


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An HTTP server in a thread: per path, a script of status codes to answer (then 200), and every request kept."""

    server: ThreadingHTTPServer
    scripts: dict[str, list[tuple[int, dict[str, str]]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, path: str, *answers: int | tuple[int, dict[str, str]]) -> str:
        self.scripts[path] = [a if isinstance(a, tuple) else (a, {}) for a in answers]
        return self.base + path

    def got(self, path: str, msg_id: str | None = None) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path and (msg_id is None or r.headers["webhook-id"] == msg_id)]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    state: dict[str, Receiver] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            rec = state["r"]
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with rec.lock:
                rec.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                script = rec.scripts.get(self.path, [])
                code, headers = script.pop(0) if script else (200, {})
            payload = json.dumps({"answer": code}).encode()
            self.send_response(code)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["r"] = Receiver(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state["r"]
    server.shutdown()
    server.server_close()


@dataclass
class Gateway:
    client: httpx.AsyncClient
    producer: AIOKafkaProducer

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


async def eventually(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.1) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = await check() if asyncio.iscoroutinefunction(check) else check()
        if value or time.monotonic() > deadline:
            return value
        await asyncio.sleep(interval)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def gw(talent_stack) -> AsyncIterator[Gateway]:  # type: ignore[no-untyped-def]
    url = talent_stack.fresh_database("gateway_webhooks_it")
    talent_stack.migrate("sync-gateway", url, "GATEWAY_")
    settings = Settings.model_validate({"database_url": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                                        "TALENT_ADMIN_API_KEY": ADMIN_KEY, "consumer_enabled": False})
    hooks = WebhookSettings(allow_loopback=True, retry_schedule=[0.3] * 9, jitter=0.0, poll_seconds=0.05,
                            timeout_seconds=5)
    await ensure_topics(talent_stack.kafka_bootstrap, (ATS_CANDIDATES, CRM_PROSPECTS))
    producer = AIOKafkaProducer(bootstrap_servers=talent_stack.kafka_bootstrap)
    await producer.start()
    try:
        async with running_app(create_app(settings, hooks), headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
            yield Gateway(client, producer)
    finally:
        await producer.stop()


async def test_creation_refuses_internal_urls_and_needs_admin(gw: Gateway, receiver: Receiver) -> None:
    for bad in ("http://10.0.0.7/hook", "http://192.168.0.2/", "http://169.254.169.254/latest/meta-data/"):
        r = await gw.client.post("/v1/webhook-endpoints", json={"url": bad, "event_types": ["*"]})
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert [e["field"] for e in r.json()["errors"]] == ["url"]
    r = await gw.client.post("/v1/webhook-endpoints", json={"url": receiver.base + "/x", "event_types": ["ats.*.created"]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "event_types"
    created = await gw.create(receiver.base + "/loopback-ok", ["ats.candidate.*"], description="loopback allowed by setting")
    assert created["secret"].startswith("whsec_") and created["created_by"] == "admin" and created["enabled"]

    key = await gw.client.post("/v1/api-keys", json={"name": "reader", "scopes": ["gateway:read"]})
    reader = {"Authorization": f"Bearer {key.json()['key']}"}
    assert (await gw.client.get(f"/v1/webhook-endpoints/{created['id']}", headers=reader)).status_code == 200
    got = await gw.client.get(f"/v1/webhook-endpoints/{created['id']}", headers=reader)
    assert "secret" not in got.json() and got.headers["etag"] == '"1"'
    r = await gw.client.post("/v1/webhook-endpoints", headers=reader, json={"url": receiver.base + "/y", "event_types": ["*"]})
    assert r.status_code == 403
    assert (await gw.client.get(f"/v1/webhook-endpoints/{created['id']}/secret", headers=reader)).status_code == 403

    listed = await gw.client.get("/v1/webhook-endpoints", headers=reader)
    assert created["id"] in [e["id"] for e in listed.json()["data"]]


async def test_update_needs_if_match(gw: Gateway, receiver: Receiver) -> None:
    ep = await gw.create(receiver.base + "/patch", ["crm.*"])
    path = f"/v1/webhook-endpoints/{ep['id']}"
    assert (await gw.client.patch(path, json={"description": "d"})).status_code == 428
    assert (await gw.client.patch(path, json={"description": "d"}, headers={"If-Match": '"7"'})).status_code == 412
    r = await gw.client.patch(path, json={"url": "http://10.0.0.1/"}, headers={"If-Match": '"1"'})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "url"
    r = await gw.client.patch(path, json={"description": "d", "event_types": ["crm.prospect.*"]}, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.headers["etag"] == '"2"' and r.json()["event_types"] == ["crm.prospect.*"]
    off = await gw.client.post(f"{path}/disable")
    assert off.json()["enabled"] is False and off.json()["disabled_reason"]
    on = await gw.client.post(f"{path}/enable")
    assert on.json()["enabled"] is True and on.json()["disabled_reason"] is None


async def test_delivery_is_signed_retried_with_the_same_id_and_logged(gw: Gateway, receiver: Receiver) -> None:
    url = receiver.script("/retry", (503, {"Retry-After": "1"}), 503)
    ep = await gw.create(url, ["ats.candidate.*"])
    other = await gw.create(receiver.base + "/crm-only", ["crm.*"])
    event = await gw.produce(ATS_CANDIDATES, "ats.candidate.created.v1", {"candidate": {"first_name": "Ada"}})

    got = await eventually(lambda: len(receiver.got("/retry", event.id)) >= 3 and receiver.got("/retry", event.id))
    assert got, "the delivery did not arrive three times"
    assert len({r.headers["webhook-id"] for r in got}) == 1 and got[0].headers["webhook-id"] == event.id
    assert got[1].at - got[0].at >= 0.9  # Retry-After: 1 was honoured (the schedule says 0.3 s)
    for r in got:
        payload = Webhook(ep["secret"]).verify(r.body, r.headers)
        assert payload["type"] == "ats.candidate.created.v1" and payload["data"] == {"candidate": {"first_name": "Ada"}}
        assert set(payload) == {"type", "timestamp", "data"}
    assert len({r.body for r in got}) == 1

    async def logged() -> Any:
        ds = await gw.deliveries(ep["id"], event_id=event.id)
        return ds if ds and ds[0]["status"] == "succeeded" else None
    (delivery,) = await eventually(logged, timeout=10)
    assert delivery["attempt_count"] == 3
    assert [(a["number"], a["status"], a["response_status"]) for a in delivery["attempts"]] == [
        (1, "failed", 503), (2, "failed", 503), (3, "succeeded", 200)]
    assert all(a["latency_ms"] is not None and a["response_excerpt"] for a in delivery["attempts"])
    assert json.loads(delivery["attempts"][0]["response_excerpt"]) == {"answer": 503}

    # the filter kept the ATS event away from the CRM-only endpoint; a CRM event reaches it
    crm_event = await gw.produce(CRM_PROSPECTS, "crm.prospect.created.v1")
    assert await eventually(lambda: receiver.got("/crm-only", crm_event.id), timeout=30)
    assert not receiver.got("/crm-only", event.id) and not await gw.deliveries(other["id"], event_id=event.id)
    assert not receiver.got("/retry", crm_event.id)

    # replay re-sends the same webhook-id and body; the log shows a fourth attempt
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/deliveries/{delivery['id']}/replay")
    assert r.status_code == 202, r.text
    again = await eventually(lambda: len(receiver.got("/retry", event.id)) >= 4 and receiver.got("/retry", event.id), timeout=10)
    assert again and again[3].body == got[0].body and again[3].headers["webhook-id"] == event.id
    Webhook(ep["secret"]).verify(again[3].body, again[3].headers)

    async def replayed() -> Any:
        one = await gw.client.get(f"/v1/webhook-endpoints/{ep['id']}/deliveries/{delivery['id']}")
        return one.json() if one.json()["attempt_count"] == 4 and one.json()["status"] == "succeeded" else None
    assert await eventually(replayed, timeout=10)


async def test_rotation_signs_with_old_and_new_secret(gw: Gateway, receiver: Receiver) -> None:
    ep = await gw.create(receiver.base + "/rotate", ["ats.candidate.updated.v1"])
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret", json={"overlap_seconds": 3600})
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new != ep["secret"] and r.json()["previous_secret"] == ep["secret"]
    event = await gw.produce(ATS_CANDIDATES, "ats.candidate.updated.v1")
    got = await eventually(lambda: receiver.got("/rotate", event.id))
    assert got and len(got[0].headers["webhook-signature"].split(" ")) == 2
    Webhook(ep["secret"]).verify(got[0].body, got[0].headers)
    Webhook(new).verify(got[0].body, got[0].headers)
    secret = await gw.client.get(f"/v1/webhook-endpoints/{ep['id']}/secret")
    assert secret.json()["secret"] == new and secret.json()["previous_secret"] == ep["secret"]

    # after the overlap only the new secret signs
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/rotate-secret", json={"overlap_seconds": 0})
    newest = r.json()["secret"]
    event = await gw.produce(ATS_CANDIDATES, "ats.candidate.updated.v1")
    got = await eventually(lambda: receiver.got("/rotate", event.id))
    assert got and len(got[0].headers["webhook-signature"].split(" ")) == 1
    Webhook(newest).verify(got[0].body, got[0].headers)


async def test_410_gone_disables_the_endpoint(gw: Gateway, receiver: Receiver) -> None:
    ep = await gw.create(receiver.script("/gone", 410), ["ats.candidate.deleted.v1"])
    event = await gw.produce(ATS_CANDIDATES, "ats.candidate.deleted.v1")

    async def disabled() -> Any:
        body = (await gw.client.get(f"/v1/webhook-endpoints/{ep['id']}")).json()
        return body if not body["enabled"] else None
    body = await eventually(disabled)
    assert body and "410" in body["disabled_reason"] and body["updated_by"].startswith("sync-gateway")
    (d,) = await gw.deliveries(ep["id"], event_id=event.id)
    assert d["status"] == "failed" and [a["response_status"] for a in d["attempts"]] == [410]
    assert len(receiver.got("/gone", event.id)) == 1
    # a disabled endpoint gets no new deliveries, and replay is refused
    later = await gw.produce(ATS_CANDIDATES, "ats.candidate.deleted.v1")
    await asyncio.sleep(1.5)
    assert not receiver.got("/gone", later.id)
    r = await gw.client.post(f"/v1/webhook-endpoints/{ep['id']}/deliveries/{d['id']}/replay")
    assert r.status_code == 409


async def test_ping(gw: Gateway, receiver: Receiver) -> None:
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
    assert (await gw.client.get(f"/v1/webhook-endpoints/{bad['id']}")).json()["failing_since"] is None
