"""Public pages (`/public/...`): sign-up, unsubscribe and consent renewal, with CSRF, rate limit and validation.

The first part drives the in-process app over ASGI (the `crm` fixture); the second drives a real CRM process
(uvicorn, fresh migrated database) with headless Chromium (Debian's `/usr/bin/chromium` + Playwright for Python).
Chromium or Playwright missing is a failure, never a skip."""
from __future__ import annotations

import html
import re
import secrets
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from talent_dev.testing.browser import chromium

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def client_for(crm, ip: str | None = None) -> httpx.AsyncClient:
    """A browser-like client (keeps cookies) from its own IP, so rate limits of tests never meet."""
    ip = ip or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=crm.app, client=(ip, 40000)), base_url="http://service")


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    assert page.status_code == 200, page.text
    return html.unescape(CSRF.search(page.text).group(1))


def signup_form(email: str, csrf: str, **over: str) -> dict[str, str]:
    return {"csrf_token": csrf, "first_name": "Ada", "last_name": "Lovelace", "email": email,
            "interests": "backend, data", "skills": "python, kubernetes", "consent": "yes",
            "consent_version": "talent-community-2026-01", **over}


async def prospects_with(crm, email: str) -> list[dict]:
    r = await crm.client.get("/v1/prospects", params={"email": email})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_signup_form_is_accessible_and_shows_consent_text(crm) -> None:
    async with client_for(crm) as c:
        r = await c.get("/public/talent-community")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<label for="first_name">' in r.text and '<label for="email">' in r.text and '<label for="consent">' in r.text
    assert "I agree that the recruiting team may store" in r.text and "talent-community-2026-01" in r.text
    cookie = r.headers["set-cookie"].lower()
    assert "crm_public_csrf=" in cookie and "samesite=strict" in cookie and "httponly" in cookie
    assert r.headers["cache-control"].startswith("no-store") and r.headers["referrer-policy"] == "no-referrer"
    spec = (await crm.client.get("/openapi.json")).json()
    assert not [p for p in spec["paths"] if p.startswith("/public")]
    assert "/v1/prospects/{id}/public-links" in spec["paths"]


async def test_signup_creates_prospect_and_requests_email_consent(crm) -> None:
    email = f"tc-{uuid.uuid4().hex[:10]}@example.com"
    async with client_for(crm) as c:
        r = await c.post("/public/talent-community", data=signup_form(email, await csrf_of(c, "/public/talent-community")))
    assert r.status_code == 200, r.text
    assert "Thank you, Ada!" in r.text and "confirm" in r.text
    [p] = await prospects_with(crm, email)
    assert p["source"] == "talent_community" and p["skills"] == ["python", "kubernetes"] and p["tags"] == ["backend", "data"]
    email_consent = next(ch for ch in (await crm.client.get(f"/v1/prospects/{p['id']}/consent")).json()["channels"]
                         if ch["channel"] == "email")
    # double opt-in: granted only once the person follows the confirmation link (tests/test_double_opt_in.py)
    assert (email_consent["status"], email_consent["lawful_basis"], email_consent["source"], email_consent["text_version"]) \
        == ("requested", "consent", "talent_community", "talent-community-2026-01")
    records = await crm.events_for(p["id"], topic="crm.consents", until=lambda rs: len(rs) >= 1)
    assert {dict(r.headers)["ce_type"] for r in records} == {b"crm.consent.changed.v1"}


async def test_duplicate_email_records_consent_without_a_second_prospect(crm) -> None:
    email = f"dup-{uuid.uuid4().hex[:10]}@example.com"
    created = await crm.client.post("/v1/prospects", json=crm.body(emails=[email], source="sourced"))
    assert created.status_code == 201, created.text
    async with client_for(crm) as c:
        for first in ("Ada", "Someone Else"):
            csrf = await csrf_of(c, "/public/talent-community")
            r = await c.post("/public/talent-community", data=signup_form(email.upper(), csrf, first_name=first))
            assert r.status_code == 200, r.text
    [p] = await prospects_with(crm, email)
    assert p["id"] == created.json()["id"]
    assert (p["first_name"], p["source"]) == ("Grace", "sourced")  # an anonymous form does not rewrite a profile
    consent = (await crm.client.get(f"/v1/prospects/{p['id']}/consent")).json()["channels"]
    assert next(ch for ch in consent if ch["channel"] == "email")["status"] == "requested"


async def test_validation_rerenders_the_form_with_messages(crm) -> None:
    async with client_for(crm) as c:
        csrf = await csrf_of(c, "/public/talent-community")
        r = await c.post("/public/talent-community", data={
            "csrf_token": csrf, "first_name": "<script>x</script>", "last_name": "", "email": "not-an-email",
            "skills": "x" * 60})
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert 'id="last_name-error">Enter your last name.' in r.text
        assert 'id="email-error">Enter a valid email address' in r.text
        assert 'id="consent-error">Tick the box' in r.text
        assert 'id="skills-error">' in r.text
        assert 'aria-invalid="true" aria-describedby="email-error"' in r.text
        assert "<script>x</script>" not in r.text and 'value="&lt;script&gt;x&lt;/script&gt;"' in r.text
        assert 'value="not-an-email"' in r.text  # what was typed stays
        # the re-rendered form still works
        email = f"fix-{uuid.uuid4().hex[:8]}@example.com"
        ok = await c.post("/public/talent-community", data=signup_form(email, html.unescape(CSRF.search(r.text).group(1))))
        assert ok.status_code == 200, ok.text
        oversized = await c.post("/public/talent-community",
                                 data=signup_form("a@example.com", html.unescape(CSRF.search(r.text).group(1)),
                                                  first_name="y" * 101))
        assert oversized.status_code == 422 and 'id="first_name-error">Use at most 100 characters.' in oversized.text
    assert await prospects_with(crm, "not-an-email") == []


async def test_csrf_missing_or_wrong_token_is_403(crm) -> None:
    email = f"csrf-{uuid.uuid4().hex[:10]}@example.com"
    async with client_for(crm) as c:
        good = await csrf_of(c, "/public/talent-community")
        for data in ({k: v for k, v in signup_form(email, good).items() if k != "csrf_token"},
                     signup_form(email, "0" * 64), signup_form(email, good[:-1] + ("0" if good[-1] != "0" else "1"))):
            r = await c.post("/public/talent-community", data=data)
            assert r.status_code == 403 and "Form expired" in r.text, r.text
    async with client_for(crm) as other:  # the token without its cookie (another browser / a forged cross-site post)
        r = await other.post("/public/talent-community", data=signup_form(email, good))
        assert r.status_code == 403
    links = (await crm.client.get(f"/v1/prospects/{(await crm.client.post('/v1/prospects', json=crm.body())).json()['id']}"
                                  "/public-links")).json()
    async with client_for(crm) as c:
        await csrf_of(c, "/public/talent-community")
        path = httpx.URL(links["unsubscribe_url"]).path
        assert (await c.post(path, data={"channel": "email"})).status_code == 403
        assert (await c.post(httpx.URL(links["consent_url"]).path, data={"action": "withdraw", "csrf_token": "x"})).status_code == 403
    assert await prospects_with(crm, email) == []


async def test_rate_limit_is_429_with_retry_after(crm) -> None:
    async with client_for(crm, ip="10.250.250.250") as c:
        statuses = [(await c.post("/public/talent-community", data={"csrf_token": "nope"})).status_code for _ in range(21)]
        assert statuses[:20] == [403] * 20 and statuses[20] == 429
        r = await c.post("/public/talent-community", data={"csrf_token": "nope"})
        assert r.status_code == 429 and 1 <= int(r.headers["retry-after"]) <= 60 and "Too many requests" in r.text
        assert (await c.get("/public/talent-community")).status_code == 200  # pages stay readable
    async with client_for(crm, ip="10.250.250.251") as other:  # per client IP
        assert (await other.post("/public/talent-community", data={"csrf_token": "nope"})).status_code == 403


async def test_public_links_unsubscribe_and_consent_renewal(crm) -> None:
    pid = (await crm.client.post("/v1/prospects", json=crm.body())).json()["id"]
    soon = (datetime.now(UTC) + timedelta(days=10)).isoformat()
    assert (await crm.client.put(f"/v1/prospects/{pid}/consent/email", json={
        "status": "granted", "lawful_basis": "consent", "source": "event", "text_version": "v1", "expires_at": soon})).status_code == 200
    r = await crm.client.get(f"/v1/prospects/{pid}/public-links")
    assert r.status_code == 200, r.text
    links = r.json()
    assert links["unsubscribe_url"].startswith("http") and "/public/unsubscribe/" in links["unsubscribe_url"]
    assert (await crm.client.get(f"/v1/prospects/{uuid.uuid4()}/public-links")).status_code == 404
    unsub, renew = httpx.URL(links["unsubscribe_url"]).path, httpx.URL(links["consent_url"]).path
    async with client_for(crm) as c:
        assert (await c.get(unsub + "x")).status_code == 404
        assert (await c.get("/public/unsubscribe/garbage")).status_code == 404
        assert (await c.get(renew.replace("/consent/", "/unsubscribe/"))).status_code == 404  # kinds do not mix
        page = await c.get(renew)
        assert page.status_code == 200 and "text version v1" in page.text and "expires on" in page.text
        timeline = (await crm.client.get(f"/v1/prospects/{pid}/activities", params={"kind": "page_visit"})).json()["data"]
        assert [a["data"]["url"] for a in timeline] == ["/public/consent"]  # the visit counts as engagement
        r = await c.post(renew, data={"csrf_token": html.unescape(CSRF.search(page.text).group(1)), "action": "renew"})
        assert r.status_code == 200 and "Consent renewed" in r.text
        email = next(ch for ch in (await crm.client.get(f"/v1/prospects/{pid}/consent")).json()["channels"] if ch["channel"] == "email")
        assert datetime.fromisoformat(email["expires_at"]) - datetime.now(UTC) > timedelta(days=725)
        assert email["status"] == "granted" and email["source"] == "event"
        page = await c.get(unsub)
        assert page.status_code == 200 and 'value="email"' in page.text and 'value="sms"' in page.text
        r = await c.post(unsub, data={"csrf_token": html.unescape(CSRF.search(page.text).group(1)), "channel": "all"})
        assert r.status_code == 200 and "no longer contact you" in r.text
        channels = {ch["channel"]: ch for ch in (await crm.client.get(f"/v1/prospects/{pid}/consent")).json()["channels"]}
        assert channels["email"]["suppressions"] == ["unsubscribed"] and channels["sms"]["suppressions"] == ["unsubscribed"]
        page = await c.get(renew)
        r = await c.post(renew, data={"csrf_token": html.unescape(CSRF.search(page.text).group(1)), "action": "withdraw"})
        assert r.status_code == 200 and "Consent withdrawn" in r.text
    email = next(ch for ch in (await crm.client.get(f"/v1/prospects/{pid}/consent")).json()["channels"] if ch["channel"] == "email")
    assert email["status"] == "withdrawn"
    records = await crm.events_for(pid, topic="crm.consents", until=lambda rs: len(rs) >= 5)
    assert {dict(r.headers)["ce_type"] for r in records} == {b"crm.consent.changed.v1"}


# --- headless Chromium against a real CRM process -----------------------------------------------------------------

def wait_for_confirmation_link(crm_process, address: str, timeout: float = 20.0) -> str:
    """The link of the confirmation mail the process's scheduler delivers; raises on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for mail in crm_process.inbox.to(address):
            if found := re.search(rf"{re.escape(crm_process.url)}/public/confirm/\S+", mail.get_body(("plain",)).get_content()):
                return found.group(0)
        time.sleep(0.2)
    raise AssertionError(f"no confirmation mail to {address} within {timeout}s")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def test_browser_signup_confirmation_unsubscribe_and_renewal(crm_process, browser) -> None:
    base, admin = crm_process.url, crm_process.admin
    api = httpx.Client(base_url=base, headers=admin, timeout=10)
    email = f"browser-{uuid.uuid4().hex[:10]}@example.com"
    page = browser.new_page()
    try:
        page.goto(f"{base}/public/talent-community")
        page.screenshot(path="/tmp/signup.png", full_page=True)
        page.get_by_label("First name", exact=True).fill("Katherine")
        page.get_by_label("Last name", exact=True).fill("Johnson")
        page.get_by_label("Email address", exact=True).fill(email)
        page.get_by_label("Skills (optional)").fill("orbital mechanics, fortran")
        page.get_by_role("button", name="Join the talent community").click()
        assert page.locator("#consent-error").inner_text().startswith("Tick the box")  # 422 re-render in the browser
        assert page.get_by_label("Email address", exact=True).input_value() == email
        page.get_by_label(re.compile("I agree")).check()
        page.get_by_role("button", name="Join the talent community").click()
        assert page.get_by_role("heading").inner_text() == "Thank you, Katherine!"

        found = api.get("/v1/prospects", params={"email": email}).json()
        [p] = found["data"]
        assert p["source"] == "talent_community" and p["skills"] == ["orbital mechanics", "fortran"]
        channels = {c["channel"]: c for c in api.get(f"/v1/prospects/{p['id']}/consent").json()["channels"]}
        assert (channels["email"]["status"], channels["email"]["text_version"]) == ("requested", "talent-community-2026-01")
        confirm = wait_for_confirmation_link(crm_process, email)
        page.goto(confirm)
        page.get_by_role("button", name=re.compile("Confirm")).click()
        assert page.get_by_role("heading").inner_text() == "Subscription confirmed"
        channels = {c["channel"]: c for c in api.get(f"/v1/prospects/{p['id']}/consent").json()["channels"]}
        assert (channels["email"]["status"], channels["email"]["text_version"]) == ("granted", "talent-community-2026-01")
        first_expiry = datetime.fromisoformat(channels["email"]["expires_at"])

        links = api.get(f"/v1/prospects/{p['id']}/public-links").json()
        assert links["unsubscribe_url"].startswith(base)
        page.goto(links["unsubscribe_url"])
        page.get_by_role("button", name="Unsubscribe from email").click()
        assert "no longer contact you by email" in page.get_by_role("status").inner_text()
        channels = {c["channel"]: c for c in api.get(f"/v1/prospects/{p['id']}/consent").json()["channels"]}
        assert channels["email"]["suppressions"] == ["unsubscribed"] and channels["sms"]["suppressions"] == []

        # renewal moves the expiry: bring it close first, as a recruiter would see it before it lapses
        soon = datetime.now(UTC) + timedelta(days=5)
        put = api.put(f"/v1/prospects/{p['id']}/consent/email", json={
            "status": "granted", "lawful_basis": "consent", "source": "talent_community",
            "text_version": "talent-community-2026-01", "expires_at": soon.isoformat()})
        assert put.status_code == 200, put.text
        page.goto(links["consent_url"])
        assert "expires on" in page.locator("main").inner_text()
        page.get_by_role("button", name=re.compile("Renew my consent")).click()
        assert page.get_by_role("heading").inner_text() == "Consent renewed"
        email_consent = next(c for c in api.get(f"/v1/prospects/{p['id']}/consent").json()["channels"] if c["channel"] == "email")
        renewed = datetime.fromisoformat(email_consent["expires_at"])
        assert renewed > soon + timedelta(days=700) and renewed >= first_expiry - timedelta(minutes=5)

        page.goto(f"{base}/public/unsubscribe/forged.token")
        assert page.get_by_role("heading").inner_text() == "Link not found"
    finally:
        page.close()
        api.close()


def test_the_renewal_mail_the_crm_sends_by_itself_renews_consent_in_the_browser(crm_process, browser) -> None:
    base, admin = crm_process.url, crm_process.admin
    api = httpx.Client(base_url=base, headers=admin, timeout=10)
    email = f"renewal-{uuid.uuid4().hex[:10]}@example.com"
    page = browser.new_page()
    try:
        p = api.post("/v1/prospects", json={"first_name": "Mary", "last_name": "Jackson", "emails": [email],
                                            "source": "career_site"}).json()
        ends = datetime.now(UTC) + timedelta(days=5)
        put = api.put(f"/v1/prospects/{p['id']}/consent/email", json={
            "purpose": "talent_pool", "status": "granted", "lawful_basis": "consent", "source": "career_site",
            "text_version": "talent-community-2026-01", "expires_at": ends.isoformat()})
        assert put.status_code == 200, put.text
        deadline, link = time.monotonic() + 20, None
        while link is None:  # the process's own scheduler sends it: five days left is inside the 30-day notice
            assert time.monotonic() < deadline, f"no renewal mail to {email}"
            for mail in crm_process.inbox.to(email):
                if found := re.search(rf"{re.escape(base)}/public/consent/\S+", mail.get_body(("plain",)).get_content()):
                    assert mail["Subject"] == "Shall we stay in touch?"
                    link = found.group(0)
            time.sleep(0.2)
        page.goto(link)
        page.get_by_role("button", name=re.compile("Renew my consent")).click()
        assert page.get_by_role("heading").inner_text() == "Consent renewed"
        pool = next(c for c in api.get(f"/v1/prospects/{p['id']}/consent").json()["purposes"] if c["purpose"] == "talent_pool")
        assert pool["status"] == "granted" and datetime.fromisoformat(pool["expires_at"]) > ends + timedelta(days=700)
        history = api.get(f"/v1/prospects/{p['id']}/consent/history").json()
        assert [h["status"] for h in history if h["purpose"] == "talent_pool"] == ["granted", "granted"]
    finally:
        page.close()
        api.close()
