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
