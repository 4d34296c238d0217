"""Tracking (open pixel, clicks, one-click unsubscribe, inbound replies, page visits), the engagement score with a
fixed clock, the threshold alert and the engagement report — against the real app, PostgreSQL, Kafka and an
aiosmtpd server."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
from crm.engagement.config import EngagementSettings
from crm.engagement.score import compute
from crm.sending.config import SendingSettings
from crm.sending.scheduler import Scheduler
from crm.sequences.clock import FakeClock
from crm.signing import Purpose, Signer

T0 = datetime(2026, 3, 4, 10, tzinfo=UTC)  # a Wednesday, inside the default send window
SECRET = "tr4ck-s3cret"
PIXEL = re.compile(r'src="https://crm\.acme\.example(/t/o/[^"]+\.gif)"')
CLICK = re.compile(r'href="https://crm\.acme\.example(/t/c/[^"]+)"')




@pytest_asyncio.fixture(loop_scope="session")
async def env(crm, smtp):
    inbox, port = smtp
    clock = FakeClock(T0)
    settings = SendingSettings(smtp_port=port, mail_from="talent@acme.example", public_base_url="https://crm.acme.example",
                               tracking_secret=SECRET, scheduler_enabled=False)
    crm.app.state.crm_clock, crm.app.state.sending_settings = clock, settings
    crm.app.state.engagement_settings = EngagementSettings()
    public = httpx.AsyncClient(transport=httpx.ASGITransport(app=crm.app), base_url="http://service")  # no API key
    yield crm, inbox, clock, settings, public
    await public.aclose()
    crm.app.state.engagement_settings = None


async def sent_email(crm, inbox, clock, settings, *, owner=None, steps=None):
    """A prospect enrolled in a one-step sequence whose email went out; returns (prospect, enrollment, message, mail)."""
    addr = f"p-{uuid.uuid4().hex[:10]}@example.com"
    pid = (await crm.client.post("/v1/prospects", json=crm.body(emails=[addr], first_name="Ada",
                                                                **({"owner": owner} if owner else {})))).json()["id"]
    await crm.client.put(f"/v1/prospects/{pid}/consent/email", json={"status": "granted", "lawful_basis": "consent"})
    steps = steps or [{"kind": "email", "subject": "Hi {{first_name}}", "body": "See https://jobs.example/sre?ref=1 now"},
                      {"kind": "email", "delay": 3, "delay_unit": "business_days", "subject": "Again", "body": "Ping"}]
    seq = (await crm.client.post("/v1/sequences", json={"name": f"s-{uuid.uuid4().hex[:6]}", "steps": steps})).json()
    eid = (await crm.client.post(f"/v1/sequences/{seq['id']}/enrollments", json={
        "prospect_id": pid, "timezone": "UTC", "variables": {}})).json()["id"]
    await Scheduler(crm.app.state.uow_factory, settings, clock).run_once()
    [mail] = inbox.to(addr)
    [msg] = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
    return pid, eid, msg, mail


def html_of(mail) -> str:
    return mail.get_body(("html",)).get_content()


async def timeline(crm, pid, kind):
    rows = (await crm.client.get(f"/v1/prospects/{pid}/activities", params={"limit": 200})).json()["data"]
    return [a for a in rows if a["kind"] == kind]


async def test_the_open_pixel_returns_a_gif_and_records_the_first_open_once(env):
    crm, inbox, clock, settings, public = env
    pid, _, msg, mail = await sent_email(crm, inbox, clock, settings)
    path = PIXEL.search(html_of(mail)).group(1)
    for _ in range(3):
        r = await public.get(path)
        assert r.status_code == 200 and r.headers["content-type"] == "image/gif" and r.content.startswith(b"GIF89a")
        assert "no-store" in r.headers["cache-control"]
    assert len(await timeline(crm, pid, "message_opened")) == 1
    forged = await public.get(path.replace(".gif", "x.gif"))
    assert forged.status_code == 200 and forged.content.startswith(b"GIF")  # still a GIF, nothing recorded
    assert len(await timeline(crm, pid, "message_opened")) == 1
    records = await crm.events_for(msg["id"], topic="crm.messages",
                                   until=lambda rs: any(dict(r.headers)["ce_type"] == b"crm.message.opened.v1" for r in rs))
    assert [dict(r.headers)["ce_type"] for r in records].count(b"crm.message.opened.v1") == 1
    eng = (await crm.client.get(f"/v1/prospects/{pid}/engagement")).json()
    assert eng["score"] == 1.0 and eng["contributions"][0]["kind"] == "open"


async def test_a_valid_click_redirects_to_the_recorded_url_and_a_tampered_one_is_a_404(env):
    crm, inbox, clock, settings, public = env
    pid, _, msg, mail = await sent_email(crm, inbox, clock, settings)
    path = CLICK.search(html_of(mail)).group(1)
    ok = await public.get(path)
    assert ok.status_code == 302 and ok.headers["location"] == "https://jobs.example/sre?ref=1"
    token = path.rsplit("/", 1)[1]
    body, _, mac = token.partition(".")
    tampered = [f"/t/c/{body}.{mac[:-2]}xx", f"/t/c/{body}",
                f"/t/c/{Signer(['another-key']).sign(Purpose.CLICK, {'m': msg['id'], 'l': 0}, now=clock.now())}",
                # correctly signed, but naming a URL instead of a recorded link: still no open redirect
                f"/t/c/{Signer([SECRET]).sign(Purpose.CLICK, {'m': msg['id'], 'u': 'https://evil.example/'}, now=clock.now())}",
                f"/t/c/{Signer([SECRET]).sign(Purpose.OPEN, {'m': msg['id'], 'l': 0}, now=clock.now())}"]
    for bad in tampered:
        r = await public.get(bad)
        assert r.status_code == 404 and "location" not in r.headers, bad
        assert r.headers["content-type"].startswith("application/problem+json")
    clicks = await timeline(crm, pid, "message_clicked")
    assert len(clicks) == 1 and clicks[0]["data"]["url"] == "https://jobs.example/sre?ref=1"
    await crm.events_for(msg["id"], topic="crm.messages",
                         until=lambda rs: any(dict(r.headers)["ce_type"] == b"crm.message.clicked.v1" for r in rs))


async def test_one_click_unsubscribe_suppresses_and_exits(env):
    crm, inbox, clock, settings, public = env
    pid, eid, _, mail = await sent_email(crm, inbox, clock, settings)
    path = urlsplit(mail["List-Unsubscribe"].strip("<>")).path
    assert (await public.post(path + "x", data={"List-Unsubscribe": "One-Click"})).status_code == 404
    r = await public.post(path, data={"List-Unsubscribe": "One-Click"})
    assert r.status_code == 200 and r.json()["enrollments_exited"] == 1
    e = (await crm.client.get(f"/v1/enrollments/{eid}")).json()
    assert (e["status"], e["exit_reason"]) == ("exited", "unsubscribed")
    channels = (await crm.client.get(f"/v1/prospects/{pid}/consent")).json()["channels"]
    assert "unsubscribed" in next(c for c in channels if c["channel"] == "email")["suppressions"]
    again = await public.get(path)  # the footer link: harmless to repeat
    assert again.status_code == 200 and "unsubscribed" in again.text


async def test_inbound_auto_reply_does_not_exit_but_a_real_reply_does(env):
    crm, inbox, clock, settings, _ = env
    pid, eid, msg, mail = await sent_email(crm, inbox, clock, settings)
    ooo = await crm.client.post("/v1/inbound/email", json={
        "in_reply_to": mail["Message-ID"], "from": mail["To"], "subject": "Out of office: Hi Ada",
        "headers": {"Auto-Submitted": "auto-replied"}, "text": "Back Monday"})
    assert ooo.status_code == 200 and ooo.json()["counted"] is False
    assert (await crm.client.get(f"/v1/enrollments/{eid}")).json()["status"] == "active"
    assert len(await timeline(crm, pid, "auto_reply")) == 1
    unknown = await crm.client.post("/v1/inbound/email", json={"in_reply_to": "<nope@acme.example>", "subject": "Re"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "in_reply_to"
    assert (await crm.client.post("/v1/inbound/email", json={"subject": "Re"})).status_code == 422
    real = await crm.client.post("/v1/inbound/email", headers={"Idempotency-Key": uuid.uuid4().hex}, json={
        "message_id": mail["Message-ID"], "from": mail["To"], "subject": "Re: Hi Ada", "text": "Sounds great"})
    assert real.status_code == 200 and real.json()["counted"] is True
    e = (await crm.client.get(f"/v1/enrollments/{eid}")).json()
    # the sending module's reply rule is reused: its documented exit reason is `replied`
    assert (e["status"], e["exit_reason"]) == ("exited", "reply")
    assert len(await timeline(crm, pid, "message_replied")) == 1
    await crm.events_for(msg["id"], topic="crm.messages",
                         until=lambda rs: any(dict(r.headers)["ce_type"] == b"crm.message.replied.v1" for r in rs))


def test_the_score_halves_after_one_half_life():
    s = EngagementSettings()
    events = [("message_opened", T0), ("message_clicked", T0), ("auto_reply", T0)]
    assert compute(events, T0, s)[0] == pytest.approx(4.0)
    assert compute(events, T0 + timedelta(days=14), s)[0] == pytest.approx(2.0)
    assert compute(events, T0 + timedelta(days=28), s)[0] == pytest.approx(1.0)
    assert compute([("message_opened", T0 + timedelta(days=1))], T0, s)[0] == 0  # the future does not count


async def test_page_visits_score_with_decay_through_the_api(env):
    crm, _, clock, _, _ = env
    pid = (await crm.client.post("/v1/prospects", json=crm.body())).json()["id"]
    r = await crm.client.post(f"/v1/prospects/{pid}/page-visits", json={"url": "https://careers.acme.example/jobs/1"})
    assert r.status_code == 201 and r.json()["kind"] == "page_visit"
    bad = await crm.client.post(f"/v1/prospects/{pid}/page-visits", json={"url": "javascript:alert(1)"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "url"
    assert (await crm.client.post(f"/v1/prospects/{uuid.uuid4()}/page-visits", json={"url": "https://a.example"})).status_code == 404
    assert (await crm.client.get(f"/v1/prospects/{pid}/engagement")).json()["score"] == pytest.approx(2.0)
    clock.advance(days=14)
    try:
        eng = (await crm.client.get(f"/v1/prospects/{pid}/engagement")).json()
        assert eng["score"] == pytest.approx(1.0) and eng["level"] == "cold"
        assert eng["contributions"] == [{"kind": "page_visit", "at": eng["contributions"][0]["at"], "weight": 2.0,
                                         "decayed": pytest.approx(1.0)}]
    finally:
        clock.set(T0)


async def test_crossing_the_threshold_raises_exactly_one_alert_for_the_owner(env):
    crm, _, clock, _, _ = env
    owner = f"recruiter-{uuid.uuid4().hex[:6]}"
    pid = (await crm.client.post("/v1/prospects", json=crm.body(owner=owner))).json()["id"]

    async def alerts():
        return (await crm.client.get("/v1/alerts", params={"recipient": owner, "kind": "engagement_threshold"})).json()["data"]

    for i in range(4):  # 2 + 2 + 2 + 2 = 8 < 10
        await crm.client.post(f"/v1/prospects/{pid}/page-visits", json={"url": f"https://careers.acme.example/{i}"})
    assert await alerts() == []
    for i in range(3):  # 10, 12, 14: one crossing
        await crm.client.post(f"/v1/prospects/{pid}/page-visits", json={"url": f"https://careers.acme.example/x{i}"})
    [alert] = await alerts()
    assert alert["data"]["prospect_id"] == pid and alert["recipient"] == owner
    ranked = (await crm.client.get("/v1/engagement/prospects", params={"order": "-score", "limit": 200})).json()["data"]
    assert ranked[0]["score"] >= ranked[-1]["score"] and any(r["prospect_id"] == pid for r in ranked)
    await crm.events_for(pid, until=lambda rs: any(dict(r.headers)["ce_type"] == b"crm.prospect.engaged.v1" for r in rs))
    clock.advance(days=60)  # decays far below; a new rise is a new crossing
    try:
        for i in range(5):
            await crm.client.post(f"/v1/prospects/{pid}/page-visits", json={"url": f"https://careers.acme.example/y{i}"})
        assert len(await alerts()) == 2
    finally:
        clock.set(T0)


async def test_the_engagement_report_counts_per_step_and_variant(env):
    crm, inbox, clock, settings, public = env
    steps = [{"kind": "email", "subject": "Hi", "body": "Look https://jobs.example/a"}]
    _, _, msg, mail = await sent_email(crm, inbox, clock, settings, steps=steps)
    seq_id = msg["sequence_id"]
    await public.get(PIXEL.search(html_of(mail)).group(1))
    await public.get(PIXEL.search(html_of(mail)).group(1))
    await public.get(CLICK.search(html_of(mail)).group(1))
    await crm.client.post("/v1/inbound/email", json={"in_reply_to": mail["Message-ID"], "subject": "Re: Hi"})
    [row] = (await crm.client.get("/v1/reports/engagement", params={"sequence_id": seq_id})).json()["data"]
    assert row == {"sequence_id": seq_id, "step_index": 0, "variant": None, "sent": 1, "delivered": 1,
                   "opened": 1, "clicked": 1, "replied": 1}
    assert (await crm.client.get("/v1/reports/engagement", params={"sent_after": "2026-01-01T00:00:00"})).status_code == 400
