"""SMS steps go through the pluggable HTTP provider (a fake provider here: an outside party), once per step."""
from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest_asyncio
from crm.sending.config import SendingSettings
from crm.sending.scheduler import Scheduler
from crm.sequences.clock import FakeClock
from talent_dev.testing import free_port

WED_10_UTC = datetime(2026, 3, 4, 10, tzinfo=UTC)


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def provider():
    received: list[tuple[dict, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            received.append((body, dict(self.headers)))
            self.send_response(202)
            self.end_headers()

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield received, f"http://127.0.0.1:{server.server_port}/messages"
    server.shutdown()


async def test_an_sms_step_goes_to_the_provider_once_with_the_message_id_as_idempotency_key(crm, provider):
    received, url = provider
    clock = FakeClock(WED_10_UTC)
    crm.app.state.crm_clock = clock  # enrollments are timed on the app's clock: the same one the scheduler runs on
    settings = SendingSettings(sms_provider_url=url, public_base_url="https://crm.acme.example", tracking_secret="s3cret",
                               scheduler_enabled=False)
    phone = f"+44 20 7946 {uuid.uuid4().int % 10000:04d}"
    pid = (await crm.client.post("/v1/prospects", json=crm.body(phones=[phone], first_name="Ada"))).json()["id"]
    consent = await crm.client.put(f"/v1/prospects/{pid}/consent/sms", json={"status": "granted", "lawful_basis": "consent"})
    assert consent.status_code == 200, consent.text
    seq = (await crm.client.post("/v1/sequences", json={"name": "sms", "steps": [{"kind": "sms", "body": "Hi {{first_name}}!"}]})).json()
    e = (await crm.client.post(f"/v1/sequences/{seq['id']}/enrollments", json={"prospect_id": pid})).json()
    assert "id" in e, e

    scheduler = Scheduler(crm.app.state.uow_factory, settings, clock)
    await scheduler.run_once()
    await scheduler.run_once()  # nothing more is due: never twice
    mine = [(b, h) for b, h in received if b["to"] == phone]
    assert len(mine) == 1
    body, headers = mine[0]
    assert body["body"] == "Hi Ada!"
    [msg] = (await crm.client.get("/v1/messages", params={"enrollment_id": e["id"]})).json()["data"]
    assert msg["state"] == "sent" and body["id"] == msg["id"] == headers["Idempotency-Key"]
