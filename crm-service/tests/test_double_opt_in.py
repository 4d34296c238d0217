"""Double opt-in on the talent-community form (issue #8, finding 6): an anonymous form only *requests* consent and
sends a confirmation mail; its signed, expiring link grants it. A withdrawn address stays withdrawn until the person
confirms through that link."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import httpx

CONFIRM = re.compile(r"https://crm\.acme\.example(/public/confirm/[A-Za-z0-9_\-.]+)")


async def email_consent(rig, pid: str) -> dict:
    channels = (await rig.crm.client.get(f"/v1/prospects/{pid}/consent")).json()["channels"]
    return next(c for c in channels if c["channel"] == "email")


async def prospect_of(rig, addr: str) -> dict:
    [p] = (await rig.crm.client.get("/v1/prospects", params={"email": addr})).json()["data"]
    return p


async def confirmation_link(rig, addr: str) -> str:
    await rig.run()
    [sent] = [m for m in rig.inbox.to(addr) if "confirm" in m["Subject"].lower()]
    text = sent.get_body(("plain",)).get_content()
    assert "{{" not in text and sent["List-Unsubscribe"] is None  # a transactional mail, not marketing
    return CONFIRM.search(text).group(1)


async def test_signing_up_requests_consent_and_only_the_confirmation_link_grants_it(mail, visitor, signup):
    addr = f"doi-{uuid.uuid4().hex[:8]}@example.com"
    async with visitor() as v:
        r = await v.submit("/public/talent-community", signup(addr))
        assert r.status_code == 200 and "confirm" in r.text.lower() and "inbox" in r.text.lower()
        p = await prospect_of(mail, addr)
        assert p["source"] == "talent_community"
        requested = await email_consent(mail, p["id"])
        assert (requested["status"], requested["text_version"]) == ("requested", "talent-community-2026-01")

        link = await confirmation_link(mail, addr)
        page = await v.get(link)  # what a mail scanner does: it changes nothing
        assert page.status_code == 200 and "Confirm" in page.text and 'method="post"' in page.text
        assert (await email_consent(mail, p["id"]))["status"] == "requested"

        done = await v.submit(link, {})
        assert done.status_code == 200 and "confirmed" in done.text.lower(), done.text
    granted = await email_consent(mail, p["id"])
    assert (granted["status"], granted["lawful_basis"], granted["source"], granted["text_version"]) == (
        "granted", "consent", "talent_community", "talent-community-2026-01")
    assert timedelta(days=725) < datetime.fromisoformat(granted["expires_at"]) - mail.clock.now() < timedelta(days=735)
    kinds = [a["kind"] for a in (await mail.crm.client.get(f"/v1/prospects/{p['id']}/activities")).json()["data"]]
    assert "consent_requested" in kinds and "consent_confirmed" in kinds


async def test_an_anonymous_form_never_overturns_a_withdrawal_nor_downgrades_a_grant(mail, visitor, signup):
    granted_pid, granted_addr = await mail.prospect()
    async with visitor() as v:
        assert (await v.submit("/public/talent-community", signup(granted_addr))).status_code == 200
    assert (await email_consent(mail, granted_pid))["status"] == "granted"
    pid, addr = await mail.prospect()
    assert (await mail.crm.client.put(f"/v1/prospects/{pid}/consent/email", json={"status": "withdrawn"})).status_code == 200
    async with visitor() as v:
        r = await v.submit("/public/talent-community", signup(addr.upper()))
        assert r.status_code == 200 and "confirm" in r.text.lower()
        assert (await email_consent(mail, pid))["status"] == "withdrawn"
        link = await confirmation_link(mail, addr)
        assert (await email_consent(mail, pid))["status"] == "withdrawn"
        assert (await v.submit(link, {})).status_code == 200
    assert (await email_consent(mail, pid))["status"] == "granted"  # the person themself re-consented


async def test_a_confirmation_link_expires_and_is_good_for_one_address_only(mail, visitor, signup):
    addr = f"late-{uuid.uuid4().hex[:8]}@example.com"
    async with visitor() as v:
        assert (await v.submit("/public/talent-community", signup(addr))).status_code == 200
        link = await confirmation_link(mail, addr)
        start = mail.clock.now()
        try:
            mail.clock.advance(days=8)
            late = await v.get(link)
            assert late.status_code == 410 and "expired" in late.text.lower() and "sign up again" in late.text.lower()
        finally:
            mail.clock.set(start)
        tampered = link[:-3] + ("AAA" if not link.endswith("AAA") else "BBB")
        assert (await v.get(tampered)).status_code == 404
    assert (await email_consent(mail, (await prospect_of(mail, addr))["id"]))["status"] == "requested"


async def test_the_confirmation_form_needs_its_csrf_token(mail, visitor, signup):
    addr = f"csrf-{uuid.uuid4().hex[:8]}@example.com"
    async with visitor() as v:
        assert (await v.submit("/public/talent-community", signup(addr))).status_code == 200
        link = await confirmation_link(mail, addr)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=mail.crm.app, client=("10.9.9.9", 1)),
                                 base_url="http://service") as forger:
        assert (await forger.post(link, data={"confirm": "yes"})).status_code == 403
    assert (await email_consent(mail, (await prospect_of(mail, addr))["id"]))["status"] == "requested"


# --- confirmation requests of a trusted integrator (the gateway relays the careers form's talent-pool box) ----------

POOL = {"purpose": "talent_pool", "source": "talent_pool", "text_version": "talent-pool-2026-12"}


async def plain_prospect(rig) -> tuple[str, str]:
    """A new prospect without any consent; returns (id, email address)."""
    addr = f"pool-{uuid.uuid4().hex[:10]}@example.com"
    r = await rig.crm.client.post("/v1/prospects", json=rig.crm.body(emails=[addr]))
    assert r.status_code == 201, r.text
    return r.json()["id"], addr


async def consent_for(rig, pid: str, purpose: str) -> dict:
    purposes = (await rig.crm.client.get(f"/v1/prospects/{pid}/consent")).json()["purposes"]
    return next((c for c in purposes if c["channel"] == "email" and c["purpose"] == purpose), {"status": "unknown"})


def ask(rig, pid: str, body: dict | None = None, channel: str = "email", key: str | None = None):
    return rig.crm.client.post(f"/v1/prospects/{pid}/consent/{channel}/confirmation-requests", json=body or POOL,
                               headers={"Idempotency-Key": key or str(uuid.uuid4())})


async def test_a_confirmation_request_makes_consent_requested_and_mails_a_link_that_grants_that_purpose(mail, visitor):
    pid, addr = await plain_prospect(mail)
    key = str(uuid.uuid4())
    r = await ask(mail, pid, key=key)
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["status"], body["queued"], body["reason"], body["purpose"]) == ("requested", True, None, "talent_pool")
    again = await ask(mail, pid, key=key)  # the integrator's retry: the same answer, no second mail
    assert (again.status_code, again.json(), again.headers.get("Idempotent-Replayed")) == (201, body, "true")
    soon = await ask(mail, pid)  # a new request minutes later: no mail bombing
    assert (soon.status_code, soon.json()["queued"], soon.json()["reason"]) == (200, False, "recently_requested")
    requested = await consent_for(mail, pid, "talent_pool")
    assert (requested["status"], requested["source"], requested["text_version"]) == (
        "requested", "talent_pool", "talent-pool-2026-12")
    assert (await consent_for(mail, pid, "marketing"))["status"] == "unknown"

    await mail.run()
    [sent] = [m for m in mail.inbox.to(addr) if "confirm" in m["Subject"].lower()]
    assert "talent pool" in sent["Subject"].lower() and sent["List-Unsubscribe"] is None
    text = sent.get_body(("plain",)).get_content()
    assert "keep your profile and consider you for other jobs" in text and "events" not in text
    link = CONFIRM.search(text).group(1)
    async with visitor() as v:
        page = await v.get(link)
        assert page.status_code == 200 and "talent pool" in page.text and "talent-pool-2026-12" in page.text
        assert (await consent_for(mail, pid, "talent_pool"))["status"] == "requested"  # a GET changes nothing
        done = await v.submit(link, {})
        assert done.status_code == 200 and "confirmed" in done.text.lower(), done.text
    granted = await consent_for(mail, pid, "talent_pool")
    assert (granted["status"], granted["lawful_basis"], granted["source"], granted["text_version"]) == (
        "granted", "consent", "talent_pool", "talent-pool-2026-12")
    assert (await consent_for(mail, pid, "marketing"))["status"] == "unknown"  # the pool only
    kinds = [a["kind"] for a in (await mail.crm.client.get(f"/v1/prospects/{pid}/activities")).json()["data"]]
    assert "consent_requested" in kinds and "consent_confirmed" in kinds


async def test_each_purpose_is_confirmed_by_its_own_link(mail, visitor):
    pid, addr = await plain_prospect(mail)
    assert (await ask(mail, pid)).status_code == 201
    marketing = {"purpose": "marketing", "source": "event_form", "text_version": "events-2026-02"}
    assert (await ask(mail, pid, marketing)).status_code == 201  # the resend guard is per purpose
    await mail.run()
    links = {}
    for m in mail.inbox.to(addr):
        text = m.get_body(("plain",)).get_content()
        links["talent_pool" if "talent pool" in m["Subject"].lower() else "marketing"] = CONFIRM.search(text).group(1)
    assert set(links) == {"talent_pool", "marketing"}
    async with visitor() as v:
        assert (await v.submit(links["marketing"], {})).status_code == 200
    assert (await consent_for(mail, pid, "marketing"))["status"] == "granted"
    assert (await consent_for(mail, pid, "talent_pool"))["status"] == "requested"
    async with visitor() as v:
        assert (await v.submit(links["talent_pool"], {})).status_code == 200
    assert (await consent_for(mail, pid, "talent_pool"))["status"] == "granted"
    assert (await consent_for(mail, pid, "marketing"))["source"] == "event_form"


async def test_a_confirmation_request_leaves_a_granted_or_withdrawn_consent_alone_and_mails_nothing(mail):
    granted_pid, granted_addr = await plain_prospect(mail)
    put = {**POOL, "status": "granted", "lawful_basis": "consent"}
    assert (await mail.crm.client.put(f"/v1/prospects/{granted_pid}/consent/email", json=put)).status_code == 200
    withdrawn_pid, withdrawn_addr = await plain_prospect(mail)
    put = {**POOL, "status": "withdrawn", "source": "candidate_request"}
    assert (await mail.crm.client.put(f"/v1/prospects/{withdrawn_pid}/consent/email", json=put)).status_code == 200
    for pid, status in ((granted_pid, "granted"), (withdrawn_pid, "withdrawn")):
        before = await consent_for(mail, pid, "talent_pool")
        r = await ask(mail, pid)
        assert r.status_code == 200, r.text
        assert (r.json()["status"], r.json()["queued"], r.json()["reason"]) == (status, False, status)
        assert await consent_for(mail, pid, "talent_pool") == before
    await mail.run()
    assert mail.inbox.to(granted_addr) == [] and mail.inbox.to(withdrawn_addr) == []


async def test_a_confirmation_request_is_for_email_and_live_prospects_only(mail):
    pid, _ = await plain_prospect(mail)
    sms = await ask(mail, pid, channel="sms")
    assert sms.status_code == 422 and sms.headers["content-type"].startswith("application/problem+json"), sms.text
    assert (await ask(mail, pid, channel="fax")).status_code == 422
    assert (await ask(mail, pid, {**POOL, "purpose": "everything"})).status_code == 422
    assert (await consent_for(mail, pid, "talent_pool"))["status"] == "unknown"
    assert (await ask(mail, str(uuid.uuid4()))).status_code == 404
    erased = await mail.crm.client.post(f"/v1/prospects/{pid}/erase", json={"reason": "gdpr_request"})
    assert erased.status_code == 200, erased.text
    assert (await ask(mail, pid)).status_code == 410
    no_key = await mail.crm.client.post(f"/v1/prospects/{pid}/consent/email/confirmation-requests", json=POOL)
    assert no_key.status_code == 410
