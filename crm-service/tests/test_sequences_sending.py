"""The scheduler against a real SMTP server (aiosmtpd): headers, tracking, stop rules, blocked tokens, throttling,
and restart safety when the process dies between claim and send or between send and commit."""
from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime

import pytest_asyncio
from crm.sending.config import SendingSettings
from crm.sending.mailer import SmtpMailer
from crm.sending.scheduler import Scheduler
from crm.sequences.clock import FakeClock
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talentkit.db import sessionmaker

WED_10_UTC = datetime(2026, 3, 4, 10, tzinfo=UTC)




@pytest_asyncio.fixture(loop_scope="session")
async def env(crm, smtp):
    inbox, port = smtp
    clock = FakeClock(WED_10_UTC)
    settings = SendingSettings(smtp_port=port, mail_from="talent@acme.example", public_base_url="https://crm.acme.example",
                               tracking_secret="s3cret", scheduler_enabled=False)
    crm.app.state.crm_clock, crm.app.state.sending_settings = clock, settings
    return crm, inbox, clock, settings


async def enrolled(crm, *, steps=None, consent="granted", variables=None, **seq):
    email_addr = f"p-{uuid.uuid4().hex[:10]}@example.com"
    pid = (await crm.client.post("/v1/prospects", json=crm.body(emails=[email_addr], first_name="Ada"))).json()["id"]
    if consent:
        await crm.client.put(f"/v1/prospects/{pid}/consent/email", json={"status": consent, "lawful_basis": "consent"})
    steps = steps or [{"kind": "email", "subject": "Hi {{first_name}}", "body": "A {{job_title}} role: https://jobs.example/1"},
                      {"kind": "email", "delay": 1, "delay_unit": "business_days", "subject": "Again", "body": "Ping {{first_name}}"}]
    s = (await crm.client.post("/v1/sequences", json={"name": "n", "steps": steps, **seq})).json()
    e = (await crm.client.post(f"/v1/sequences/{s['id']}/enrollments", json={
        "prospect_id": pid, "timezone": "Europe/Berlin", "variables": variables or {"job_title": "SRE"}})).json()
    assert "id" in e, e
    return pid, e["id"], email_addr


def scheduler(crm, settings, clock, **kw) -> Scheduler:
    return Scheduler(crm.app.state.uow_factory, settings, clock, **kw)


async def test_a_due_step_goes_out_over_smtp_with_tracking_and_one_click_unsubscribe(env):
    crm, inbox, clock, settings = env
    _, eid, addr = await enrolled(crm)
    await scheduler(crm, settings, clock).run_once()
    [mail] = inbox.to(addr)
    assert mail["Subject"] == "Hi Ada" and mail["From"] == "talent@acme.example"
    msgs = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
    assert [(m["state"], m["step_index"]) for m in msgs] == [("sent", 0)]
    assert mail["Message-ID"] == f"<{msgs[0]['id']}@acme.example>" == msgs[0]["message_id_header"]
    assert mail["List-Unsubscribe"].startswith("<https://crm.acme.example/t/u/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html = mail.get_body(("html",)).get_content()
    assert "https://crm.acme.example/t/o/" in html and "https://crm.acme.example/t/c/" in html
    assert "https://jobs.example/1" not in mail.get_body(("plain",)).get_content() and "{{" not in mail.as_string()
    e = (await crm.client.get(f"/v1/enrollments/{eid}")).json()
    assert e["status"] == "active" and e["next_step"] == 1 and e["next_due_at"].startswith("2026-03-05T10:00")
    await scheduler(crm, settings, clock).run_once()
    assert len(inbox.to(addr)) == 1  # not due yet
    clock.advance(days=1)
    await scheduler(crm, settings, clock).run_once()
    assert [m["Subject"] for m in inbox.to(addr)] == ["Hi Ada", "Again"]
    assert (await crm.client.get(f"/v1/enrollments/{eid}")).json()["status"] == "completed"
    records = await crm.events_for(msgs[0]["id"], topic="crm.messages", until=lambda rs: len(rs) >= 1)
    assert dict(records[0].headers)["ce_type"] == b"crm.message.sent.v1"
    clock.set(WED_10_UTC)


async def test_a_missing_token_blocks_the_step_and_sends_nothing(env):
    crm, inbox, clock, settings = env
    _, eid, addr = await enrolled(crm, variables={"x": "1"})
    await scheduler(crm, settings, clock).run_once()
    assert inbox.to(addr) == []
    [m] = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
    assert m["state"] == "blocked" and m["missing_tokens"] == ["job_title"]
    e = (await crm.client.get(f"/v1/enrollments/{eid}")).json()
    assert e["status"] == "paused" and "job_title" in e["pause_reason"]


async def test_no_consent_exits_with_consent_missing_and_legitimate_interest_is_enough(env):
    crm, inbox, clock, settings = env
    _, eid, addr = await enrolled(crm, consent=None)
    pid2, _eid2, addr2 = await enrolled(crm, consent=None)
    await crm.client.put(f"/v1/prospects/{pid2}/consent/email", json={"status": "unknown", "lawful_basis": "legitimate_interest"})
    await scheduler(crm, settings, clock).run_once()
    e = (await crm.client.get(f"/v1/enrollments/{eid}")).json()
    assert (e["status"], e["exit_reason"], inbox.to(addr)) == ("exited", "consent_missing", [])
    assert len(inbox.to(addr2)) == 1


async def test_replies_exit_but_auto_replies_do_not_and_bounces_suppress(env):
    crm, _inbox, clock, settings = env
    pid, eid, _addr = await enrolled(crm)
    await scheduler(crm, settings, clock).run_once()
    [m] = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
    ooo = await crm.client.post(f"/v1/messages/{m['id']}/replies", json={"subject": "Re: Hi Ada",
                                                                         "headers": {"Auto-Submitted": "auto-replied"}})
    assert ooo.json() == {"counted": False}
    assert (await crm.client.get(f"/v1/enrollments/{eid}")).json()["status"] == "active"
    bounced = await crm.client.post(f"/v1/messages/{m['id']}/bounce", json={"diagnostic": "550 5.1.1 user unknown"})
    assert bounced.status_code == 200 and bounced.json()["state"] == "bounced"
    e = (await crm.client.get(f"/v1/enrollments/{eid}")).json()
    assert (e["status"], e["exit_reason"]) == ("exited", "bounced")
    consent = (await crm.client.get(f"/v1/prospects/{pid}/consent")).json()["channels"][0]
    assert consent["suppressions"] == ["bounced"]
    _, eid2, _ = await enrolled(crm)
    await scheduler(crm, settings, clock).run_once()
    [m2] = (await crm.client.get("/v1/messages", params={"enrollment_id": eid2})).json()["data"]
    human = await crm.client.post(f"/v1/messages/{m2['id']}/replies", json={"subject": "Re: Hi Ada"})
    assert human.json() == {"counted": True}
    assert (await crm.client.get(f"/v1/enrollments/{eid2}")).json()["exit_reason"] == "reply"


async def test_a_crash_between_claim_and_send_is_sent_exactly_once_after_restart(env):
    crm, inbox, clock, settings = env
    _, eid, addr = await enrolled(crm)
    assert await scheduler(crm, settings, clock).claim_due() >= 1  # ... and the process dies here
    assert inbox.to(addr) == []
    engine = create_async_engine(crm.app.state.engine.url)  # a fresh process: new engine, new scheduler
    try:
        restarted = Scheduler(replace(crm.app.state.uow_factory, sessions=sessionmaker(engine)), settings, clock)
        await restarted.run_once()
        await restarted.run_once()
    finally:
        await engine.dispose()
    assert len(inbox.to(addr)) == 1
    msgs = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
    assert [m["state"] for m in msgs] == ["sent"]


class DiesAfterSmtpAccepted(SmtpMailer):
    """The SMTP server accepted the mail, then the process died before committing `sent`."""

    died = False

    async def send(self, msg):
        await super().send(msg)
        if not self.died:
            self.died = True
            raise SystemError("killed after the SMTP server accepted")


async def test_a_crash_after_smtp_accepted_resends_with_the_same_message_id_and_records_it_once(env):
    crm, inbox, clock, settings = env
    _, eid, addr = await enrolled(crm)
    await scheduler(crm, settings, clock, mailer=DiesAfterSmtpAccepted(settings)).run_once()
    [m] = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
    assert m["state"] == "claimed"  # not lost: the next pass after the backoff re-sends
    clock.advance(seconds=settings.send_retry_base_seconds)
    try:
        await scheduler(crm, settings, clock).run_once()
    finally:
        clock.set(WED_10_UTC)
    got = inbox.to(addr)
    assert len(got) == 2 and {g["Message-ID"] for g in got} == {f"<{m['id']}@acme.example>"}  # at least once, same id
    msgs = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
    assert [x["state"] for x in msgs] == ["sent"]
    assert (await crm.client.get(f"/v1/enrollments/{eid}")).json()["next_step"] == 1


async def test_daily_cap_and_minimum_gap_throttle_the_sender_mailbox(env):
    crm, inbox, clock, settings = env
    mailbox = f"r-{uuid.uuid4().hex[:6]}@acme.example"
    one_step = [{"kind": "email", "subject": "Hi", "body": "Hello {{first_name}}"}]
    capped = [await enrolled(crm, steps=one_step, sender_mailbox=mailbox, daily_cap=2) for _ in range(3)]
    await scheduler(crm, settings, clock).run_once()
    sent = [len(inbox.to(addr)) for _, _, addr in capped]
    assert sorted(sent) == [0, 1, 1]
    waiting = next(eid for (_, eid, addr), n in zip(capped, sent) if n == 0)
    assert (await crm.client.get(f"/v1/enrollments/{waiting}")).json()["next_due_at"].startswith("2026-03-05T08:00")
    gap_box = f"g-{uuid.uuid4().hex[:6]}@acme.example"
    gapped = [await enrolled(crm, steps=one_step, sender_mailbox=gap_box, min_gap_seconds=600) for _ in range(2)]
    await scheduler(crm, settings, clock).run_once()
    assert sorted(len(inbox.to(a)) for _, _, a in gapped) == [0, 1]
    clock.advance(minutes=10)
    await scheduler(crm, settings, clock).run_once()
    assert [len(inbox.to(a)) for _, _, a in gapped] == [1, 1]
    clock.set(WED_10_UTC)


async def test_ab_variants_are_assigned_deterministically_per_enrollment(env):
    crm, inbox, clock, settings = env
    steps = [{"kind": "email", "body": "x", "variants": [{"name": "A", "subject": "Subject A", "body": "Body A"},
                                                          {"name": "B", "subject": "Subject B", "body": "Body B"}]}]
    runs = [await enrolled(crm, steps=steps) for _ in range(12)]
    await scheduler(crm, settings, clock).run_once()
    seen = set()
    for _, eid, addr in runs:
        [m] = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
        [mail] = inbox.to(addr)
        assert mail["Subject"] == f"Subject {m['variant']}"
        seen.add(m["variant"])
    assert seen == {"A", "B"}


async def test_schedulers_of_two_replicas_on_one_database_send_each_due_step_exactly_once(env):
    crm, inbox, clock, settings = env
    people = [await enrolled(crm) for _ in range(12)]
    engine = create_async_engine(crm.app.state.engine.url)  # the second replica: its own pool and scheduler
    try:
        other = Scheduler(replace(crm.app.state.uow_factory, sessions=sessionmaker(engine)), settings, clock)
        first = scheduler(crm, settings, clock)
        for _ in range(3):  # both passes at once, and again: nothing is left due, nothing goes twice
            await asyncio.gather(first.run_once(), other.run_once())
    finally:
        await engine.dispose()
    for _, eid, addr in people:
        assert len(inbox.to(addr)) == 1, addr  # the first step, once
        msgs = (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"]
        assert [(m["state"], m["step_index"]) for m in msgs] == [("sent", 0)]


async def test_the_scheduler_never_waits_for_a_prospect_being_changed_while_it_holds_the_enrollment(env):
    """Lock order: a prospect before its enrollments. A writer of the prospect (an ATS status, an erasure) locks
    it and then ends its enrollments; the scheduler, which locks due enrollments first, must not wait for that
    prospect (each would wait for the other: a deadlock). It leaves the step for its next pass instead."""
    crm, inbox, clock, settings = env
    pid, eid, addr = await enrolled(crm)
    async with crm.app.state.engine.connect() as writer, writer.begin():
        await writer.execute(text("SELECT id FROM prospects WHERE id = :id FOR NO KEY UPDATE"), {"id": pid})
        claimed, sent = await asyncio.wait_for(scheduler(crm, settings, clock).run_once(), 10)
        assert (claimed, sent) == (0, 0)
        assert (await crm.client.get("/v1/messages", params={"enrollment_id": eid})).json()["data"] == []
    claimed, sent = await scheduler(crm, settings, clock).run_once()
    assert (claimed, sent) == (1, 1)
    [mail] = inbox.to(addr)
    assert mail["Subject"] == "Hi Ada"
