"""A send that keeps failing (issue #8, finding 11) is retried with backoff up to a cap, then parked as `failed`
with its error; the enrollment exits (`send_failed`) and the prospect's owner gets an alert. Never retried forever."""
from __future__ import annotations

import threading
import uuid
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from crm.sending.config import SendingSettings
from talent_dev.testing import free_port


@pytest.fixture(scope="module")
def broken_provider():
    """An SMS provider (an outside party) that answers 503 to everything; counts the attempts."""
    hits: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append({"length": self.headers["Content-Length"]})
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield hits, f"http://127.0.0.1:{server.server_port}/messages"
    server.shutdown()


def capped(mail, **over) -> SendingSettings:
    return SendingSettings(**{**mail.settings.model_dump(), "send_max_attempts": 3, **over})


async def passes(mail, n: int, **kw) -> None:
    """`n` scheduler passes, six hours apart (more than any backoff below the cap)."""
    for _ in range(n):
        await mail.run(**kw)
        mail.clock.advance(hours=6)


async def assert_parked(mail, eid: str, owner: str, error_part: str) -> None:
    [m] = await mail.messages(eid)
    assert (m["state"], m["attempts"]) == ("failed", 3) and error_part in m["error"], m
    e = (await mail.crm.client.get(f"/v1/enrollments/{eid}")).json()
    assert (e["status"], e["exit_reason"]) == ("exited", "send_failed")
    [alert] = (await mail.crm.client.get("/v1/alerts", params={"recipient": owner, "kind": "send_failed"})).json()["data"]
    assert alert["data"]["message_id"] == m["id"] and error_part in alert["data"]["error"]
    kinds = [a["kind"] for a in (await mail.crm.client.get(f"/v1/prospects/{m['prospect_id']}/activities")).json()["data"]]
    assert "message_failed" in kinds


async def test_a_failing_sms_is_retried_with_backoff_then_parked_and_the_owner_alerted(mail, broken_provider):
    hits, url = broken_provider
    mail.settings = capped(mail, sms_provider_url=url)
    owner = f"recruiter-{uuid.uuid4().hex[:6]}"
    phone = f"+44 20 7946 {uuid.uuid4().int % 10000:04d}"
    pid = (await mail.crm.client.post("/v1/prospects", json=mail.crm.body(phones=[phone], owner=owner))).json()["id"]
    await mail.crm.client.put(f"/v1/prospects/{pid}/consent/sms", json={"status": "granted", "lawful_basis": "consent"})
    eid = await mail.enroll(pid, [{"kind": "sms", "body": "Hi {{first_name}}"}])
    start, before = mail.clock.now(), len(hits)
    try:
        await mail.run()
        await mail.run()  # at once again: the backoff has not passed, nothing is sent
        assert len(hits) - before == 1
        await passes(mail, 6)
    finally:
        mail.clock.set(start)
    assert len(hits) - before == 3  # the cap, never more
    await assert_parked(mail, eid, owner, "503")


async def test_an_email_the_smtp_server_keeps_refusing_is_parked_after_the_cap(mail):
    owner = f"recruiter-{uuid.uuid4().hex[:6]}"
    pid, addr = await mail.prospect(owner=owner)
    mail.inbox.refuse.add(addr)
    mail.settings = capped(mail)
    eid = await mail.enroll(pid, [{"kind": "email", "subject": "Hi", "body": "Hello"}])
    start, before = mail.clock.now(), mail.inbox.refused
    try:
        await passes(mail, 6)
    finally:
        mail.clock.set(start)
        mail.inbox.refuse.discard(addr)
    assert mail.inbox.refused - before == 3 and mail.inbox.to(addr) == []
    await assert_parked(mail, eid, owner, "451")
