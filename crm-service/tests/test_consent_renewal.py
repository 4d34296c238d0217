"""Consent that renews itself, over HTTP and the scheduler's passes on a movable clock: consent per purpose and
channel with its history and a lifetime per jurisdiction; the CRM's own renewal mail ahead of expiry with a signed
link, and one reminder; renewing extends; declining stops all marketing at once; an unrenewed prospect is
anonymised on time (flow 8); Art. 14 notices for sourced prospects; consent checked again at the moment of sending."""
from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import text

EMAIL_STEP = [{"kind": "email", "subject": "Hi {{first_name}}", "body": "Hello {{first_name}}"}]


def office_hours() -> datetime:
    """The next weekday 10:00 UTC from now: sequence steps go out in their sending window."""
    day = datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


async def grant(mail, pid: str, purpose: str, **body) -> dict:  # type: ignore[no-untyped-def]
    r = await mail.crm.client.put(f"/v1/prospects/{pid}/consent/email", json={
        "purpose": purpose, "status": "granted", "lawful_basis": "consent", "source": "career_site_form",
        "text_version": "v7", **body})
    assert r.status_code == 200, r.text
    return r.json()


async def new_prospect(mail, **body) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A prospect who signed up on the career site (no Art. 14 notice owed) unless `source` says otherwise."""
    body = {"source": "career_site", **body}
    addr = f"renew-{uuid.uuid4().hex[:10]}@example.com"
    r = await mail.crm.client.post("/v1/prospects", json=mail.crm.body(emails=[addr], **body))
    assert r.status_code == 201, r.text
    return r.json()["id"], addr


def consent_link(message) -> str:  # type: ignore[no-untyped-def]
    found = re.search(r"https://crm\.acme\.example(/public/consent/\S+)", message.get_body(("plain",)).get_content())
    assert found, message.get_body(("plain",)).get_content()
    return found.group(1)


async def outbox(mail, pid: str) -> list[tuple[str, dict]]:  # type: ignore[no-untyped-def]
    async with mail.crm.app.state.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT event_type, envelope FROM outbox WHERE aggregate_id = :p ORDER BY seq"),
                                   {"p": pid})).all()
    return [(r.event_type, r.envelope["data"]) for r in rows]


async def test_consent_is_kept_per_purpose_and_channel_with_a_lifetime_per_jurisdiction_and_its_history(mail):
    mail.clock.set(datetime.now(UTC))
    mail.settings.consent_months_by_jurisdiction = {"DE": 12}
    pid, _ = await new_prospect(mail)
    pool = await grant(mail, pid, "talent_pool", jurisdiction="DE")
    collected = datetime.fromisoformat(pool["collected_at"])
    assert pool["purpose"] == "talent_pool" and collected == mail.clock.now()
    assert datetime.fromisoformat(pool["expires_at"]).year == collected.year + 1
    alerts = await grant(mail, pid, "job_alerts")
    assert datetime.fromisoformat(alerts["expires_at"]) >= collected + timedelta(days=729)  # the default: 24 months
    r = await mail.crm.client.put(f"/v1/prospects/{pid}/consent/email", json={"purpose": "job_alerts", "status": "declined"})
    assert r.status_code == 200 and r.json()["status"] == "declined"
    view = (await mail.crm.client.get(f"/v1/prospects/{pid}/consent")).json()
    assert {(c["purpose"], c["status"]) for c in view["purposes"]} == {("talent_pool", "granted"), ("job_alerts", "declined")}
    history = (await mail.crm.client.get(f"/v1/prospects/{pid}/consent/history")).json()
    assert [(h["purpose"], h["status"], h["version"]) for h in history] == [
        ("talent_pool", "granted", 1), ("job_alerts", "granted", 1), ("job_alerts", "declined", 2)]
    assert history[0]["text_version"] == "v7" and history[0]["source"] == "career_site_form"
    bad = await mail.crm.client.put(f"/v1/prospects/{pid}/consent/email", json={"purpose": "spam", "status": "granted"})
    assert bad.status_code == 422 and [e["field"] for e in bad.json()["errors"]] == ["purpose"]


async def test_the_crm_asks_for_renewal_reminds_once_renewing_extends_and_an_unrenewed_prospect_is_anonymised_on_time(mail, visitor):
    start = datetime.now(UTC)
    mail.clock.set(start)
    kept, kept_addr = await new_prospect(mail)
    lapsed, lapsed_addr = await new_prospect(mail)
    for pid in (kept, lapsed):
        await grant(mail, pid, "talent_pool", expires_at=(start + timedelta(days=60)).isoformat())
    await mail.run()
    assert mail.inbox.to(kept_addr) == []  # 60 days ahead: not yet

    mail.clock.set(start + timedelta(days=31))  # 29 days before expiry: inside the 30-day notice
    await mail.run()
    await mail.run()  # asked once, not at every pass
    [ask] = mail.inbox.to(kept_addr)
    assert ask["Subject"] == "Shall we stay in touch?" and len(mail.inbox.to(lapsed_addr)) == 1

    mail.clock.set(start + timedelta(days=46))  # 15 days after the request: the one reminder
    await mail.run()
    await mail.run()
    assert [m["Subject"] for m in mail.inbox.to(lapsed_addr)] == ["Shall we stay in touch?", "Reminder: shall we stay in touch?"]

    page = visitor()
    link = consent_link(mail.inbox.to(kept_addr)[-1])
    renewed = await page.submit(link, {"action": "renew"})
    assert renewed.status_code == 200 and "Consent renewed" in renewed.text
    pool = next(c for c in (await mail.crm.client.get(f"/v1/prospects/{kept}/consent")).json()["purposes"]
                if c["purpose"] == "talent_pool")
    assert datetime.fromisoformat(pool["expires_at"]) > start + timedelta(days=700)

    mail.clock.set(start + timedelta(days=59, hours=23))
    await mail.run()
    assert (await mail.crm.client.get(f"/v1/prospects/{lapsed}")).json()["status"] != "erased"  # not a minute early
    mail.clock.set(start + timedelta(days=60, minutes=1))
    await mail.run()
    gone = (await mail.crm.client.get(f"/v1/prospects/{lapsed}")).json()
    assert gone["status"] == "erased" and gone["emails"] == [] and gone["first_name"] == "Erased"
    assert (await mail.crm.client.get(f"/v1/prospects/{kept}")).json()["status"] != "erased"
    events = await outbox(mail, lapsed)
    types = [t for t, _ in events]
    assert types.index("crm.consent.expired.v1") < types.index("crm.prospect.erased.v1")
    assert next(d for t, d in events if t == "crm.prospect.erased.v1")["reason"] == "consent_expired"
    assert (await page.get(consent_link(mail.inbox.to(lapsed_addr)[-1]))).status_code in (404, 410)


async def test_declining_the_renewal_stops_all_marketing_at_once(mail, visitor):
    start = datetime.now(UTC)
    mail.clock.set(start)
    pid, addr = await new_prospect(mail)
    for purpose in ("marketing", "job_alerts"):
        await grant(mail, pid, purpose, expires_at=(start + timedelta(days=20)).isoformat())
    enrollment = await mail.enroll(pid, [{"kind": "email", "delay": 5, "delay_unit": "days", "subject": "Later",
                                          "body": "Hello {{first_name}}"}])
    await mail.run()
    [ask] = mail.inbox.to(addr)
    declined = await visitor().submit(consent_link(ask), {"action": "withdraw"})
    assert declined.status_code == 200
    view = (await mail.crm.client.get(f"/v1/prospects/{pid}/consent")).json()
    assert {c["purpose"]: c["status"] for c in view["purposes"]} == {"marketing": "declined", "job_alerts": "declined"}
    e = (await mail.crm.client.get(f"/v1/enrollments/{enrollment}")).json()
    assert e["status"] == "exited" and e["exit_reason"] == "consent_missing"
    mail.clock.set(start + timedelta(days=6))
    await mail.run()
    assert len(mail.inbox.to(addr)) == 1  # nothing more


async def test_a_message_claimed_before_consent_was_withdrawn_is_never_sent(mail):
    mail.clock.set(office_hours())
    pid, addr = await mail.prospect()
    enrollment = await mail.enroll(pid, EMAIL_STEP)
    assert await mail.scheduler().claim_due() == 1
    r = await mail.crm.client.put(f"/v1/prospects/{pid}/consent/email", json={"status": "withdrawn"})
    assert r.status_code == 200
    assert await mail.scheduler().deliver_claimed() == 0
    assert mail.inbox.to(addr) == []
    assert (await mail.crm.client.get(f"/v1/enrollments/{enrollment}")).json()["status"] == "exited"


async def test_a_sourced_prospect_gets_the_art14_notice_with_the_first_contact_or_before_its_due_date(mail):
    start = office_hours()
    mail.clock.set(start)
    contacted, contacted_addr = await mail.prospect(source="sourced")
    waiting, waiting_addr = await new_prospect(mail, source="referral")
    bouncing, _ = await new_prospect(mail, source="event")
    own, _ = await new_prospect(mail, source="talent_community")
    imported, _ = await new_prospect(mail, source="ats_import")  # applied or sourced in the ATS: the CRM cannot tell
    r = await mail.crm.client.put(f"/v1/prospects/{bouncing}/consent/email", json={"status": "unknown", "suppressions": ["bounced"]})
    assert r.status_code == 200

    async def listed(status: str) -> set[str]:
        r = await mail.crm.client.get("/v1/compliance/art14", params={"status": status, "limit": 200})
        assert r.status_code == 200, r.text
        return {n["prospect_id"] for n in r.json()["data"]}
    due = await listed("due")
    assert {contacted, waiting, bouncing, imported} <= due and own not in due

    await mail.enroll(contacted, EMAIL_STEP)
    await mail.run()
    [first] = mail.inbox.to(contacted_addr)
    assert "Why you hear from us" in first.get_body(("plain",)).get_content()
    assert contacted in await listed("sent") and mail.inbox.to(waiting_addr) == []

    mail.clock.set(start + timedelta(days=29))  # within the lead time before collection + one month
    await mail.run()
    [notice] = mail.inbox.to(waiting_addr)
    assert notice["Subject"] == "How we got your details, and your rights"
    assert waiting in await listed("sent")
    mail.clock.set(start + timedelta(days=40))
    await mail.run()
    assert bouncing in await listed("overdue")  # its address bounces: the notice could not go out
    row = next(n for n in (await mail.crm.client.get("/v1/compliance/art14", params={"status": "overdue", "limit": 200})).json()["data"]
               if n["prospect_id"] == bouncing)
    assert datetime.fromisoformat(row["due_at"]) < mail.clock.now() and row["sent_at"] is None
    assert (await mail.crm.client.get("/v1/compliance/art14", params={"status": "later"})).status_code == 422




async def test_a_notice_is_not_held_back_while_a_row_pointing_at_the_prospect_is_written(mail):
    """The notice pass skips prospects another transaction is changing, not those whose embedding or activity is
    being written at that moment (their foreign-key check holds KEY SHARE on the prospect)."""
    start = office_hours()
    mail.clock.set(start)
    pid, addr = await new_prospect(mail, source="referral")
    mail.clock.set(start + timedelta(days=29))
    async with mail.crm.app.state.engine.connect() as other, other.begin():
        await other.execute(text("SELECT id FROM prospects WHERE id = :id FOR KEY SHARE"), {"id": pid})
        await mail.run()
    [notice] = mail.inbox.to(addr)
    assert notice["Subject"] == "How we got your details, and your rights"


class FlakyMailer:
    """The test SMTP server behind a switch: while `down`, every send fails (the server refuses the connection).
    Counts the attempts at compliance mail (renewal requests, reminders, Art. 14 notices)."""

    def __init__(self, inner) -> None:  # type: ignore[no-untyped-def]
        self.inner, self.down, self.compliance_attempts = inner, True, 0

    async def send(self, msg) -> None:  # type: ignore[no-untyped-def]
        if msg["Message-ID"] and ("<renewal-" in msg["Message-ID"] or "<art14-" in msg["Message-ID"]):
            self.compliance_attempts += 1
        if self.down:
            raise ConnectionRefusedError("mail server down")
        await self.inner.send(msg)


async def passes(mail, flaky: FlakyMailer, backoff, *, until_attempt: bool) -> int:  # type: ignore[no-untyped-def]
    """Compliance mail attempted by one scheduler pass; `until_attempt`: by the first of up to five passes at this
    moment that attempts any (a row a background worker of the shared app holds locked is skipped for that pass)."""
    for _ in range(5 if until_attempt else 1):
        before = flaky.compliance_attempts
        await mail.run(mailer=flaky, compliance_backoff=backoff)
        if (attempts := flaky.compliance_attempts - before) or not until_attempt:
            return attempts
    return 0


async def test_compliance_mail_backs_off_while_the_mail_server_fails_and_a_success_resets_it(mail, caplog):
    from crm.compliance.backoff import CONSECUTIVE, MailBackoff
    from crm.sending.mailer import SmtpMailer

    start = datetime.now(UTC)
    mail.clock.set(start)
    pid, addr = await new_prospect(mail)
    await grant(mail, pid, "talent_pool", expires_at=(start + timedelta(days=20)).isoformat())  # renewal due now
    flaky, backoff = FlakyMailer(SmtpMailer(mail.settings)), MailBackoff()

    async def run(expect_attempt: bool = False) -> int:
        return await passes(mail, flaky, backoff, until_attempt=expect_attempt)

    with caplog.at_level("WARNING", logger="crm.compliance"):
        assert await run(True) == 1  # one failure holds back the rest of the pass too
    [warning] = [r for r in caplog.records if r.name == "crm.compliance" and r.levelname == "WARNING"]
    assert warning.attempt == 1 and warning.next_try_at == (start + timedelta(minutes=1)).isoformat()
    assert "attempt 1" in warning.getMessage()
    assert backoff.next_try == start + timedelta(minutes=1) and CONSECUTIVE._value.get() == 1

    mail.clock.set(start + timedelta(seconds=30))
    assert await run() == 0  # within the delay: no SMTP attempt at all
    mail.clock.set(start + timedelta(minutes=1))
    assert await run(True) == 1  # after it: tried again, fails again, the delay doubles
    assert (backoff.failures, backoff.next_try) == (2, start + timedelta(minutes=3))
    mail.clock.set(start + timedelta(minutes=2, seconds=59))
    assert await run() == 0
    assert mail.inbox.to(addr) == []

    flaky.down = False
    mail.clock.set(start + timedelta(minutes=3))
    assert await run(True) >= 1
    [ask] = mail.inbox.to(addr)
    assert ask["Subject"] == "Shall we stay in touch?"
    assert (backoff.failures, backoff.next_try) == (0, None) and CONSECUTIVE._value.get() == 0  # reset
    await run()
    assert len(mail.inbox.to(addr)) == 1  # asked once


async def test_compliance_mail_that_keeps_failing_alerts_the_owner_and_keeps_trying_at_the_capped_interval(mail, caplog):
    from crm.compliance.backoff import ALERTS, MailBackoff
    from crm.sending.mailer import SmtpMailer

    mail.clock.set(datetime.now(UTC))
    _, addr = await new_prospect(mail, source="referral")  # owes an Art. 14 notice by collection + one month
    start = datetime.now(UTC) + timedelta(days=29)  # within its lead time
    mail.clock.set(start)
    flaky, backoff = FlakyMailer(SmtpMailer(mail.settings)), MailBackoff()
    alerts_before = ALERTS._value.get()
    waits = []
    with caplog.at_level("WARNING", logger="crm.compliance"):
        for _ in range(9):
            assert await passes(mail, flaky, backoff, until_attempt=True) == 1
            waits.append(backoff.next_try - mail.clock.now())
            mail.clock.set(backoff.next_try)
    assert [w // timedelta(minutes=1) for w in waits] == [1, 2, 4, 8, 16, 32, 60, 60, 60]  # never given up
    levels = [r.levelname for r in caplog.records if r.name == "crm.compliance" and r.levelname in ("WARNING", "ERROR")]
    assert levels == ["WARNING"] * 4 + ["ERROR"] * 5
    assert ALERTS._value.get() == alerts_before + 1  # once per streak
    found = (await mail.crm.client.get("/v1/alerts", params={"kind": "compliance_mail_failing", "limit": 200})).json()["data"]
    mine = [a for a in found if start < datetime.fromisoformat(a["data"]["next_try_at"]) < start + timedelta(hours=5)]
    assert [(a["data"]["failures"], a["recipient"]) for a in mine] == [(5, None)]
    flaky.down = False
    await mail.run(mailer=flaky, compliance_backoff=backoff)
    assert [m["Subject"] for m in mail.inbox.to(addr)] == ["How we got your details, and your rights"]
    assert backoff.failures == 0
