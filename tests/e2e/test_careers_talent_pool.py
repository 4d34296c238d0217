"""An application from the ATS careers site with the talent-pool box ticked makes the person a CRM prospect whose
`talent_pool` consent on email is only *requested* (DESIGN.md §10): the careers form is anonymous, so the gateway asks
the CRM for a double opt-in, the CRM mails the address a confirmation link, and only following it grants the
consent (nothing else, and never over a withdrawal). Without the box, the prospect gets no consent and no mail."""
import asyncio
import html
import re

import httpx

RESUME = b"Grace Hopper\nCompiler engineer: COBOL, FORTRAN and UNIVAC since 1949.\n"  # read by the ATS resumes feature
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


async def _apply(e2e, http, job_id: str, addr: str, **extra: str) -> None:
    page = await http.get(f"{e2e.ats_url}/careers/jobs/{job_id}/apply")
    assert page.status_code == 200, page.text
    csrf = html.unescape(CSRF.search(page.text).group(1))
    r = await http.post(f"{e2e.ats_url}/careers/jobs/{job_id}/apply", files={"resume": ("cv.txt", RESUME, "text/plain")},
                        data={"csrf_token": csrf, "first_name": "Grace", "last_name": "Hopper", "email": addr,
                              "consent_version": "talent-pool-2026-12", **extra})
    assert r.status_code == 200 and "Thank you, Grace!" in r.text, r.text
    # the page says the talent pool waits for the confirmation mail exactly when the box was ticked
    assert ("separate email with a link to confirm" in r.text) == (extra.get("talent_pool") == "yes"), r.text


async def _email_consent(e2e, http, api, addr: str, purpose: str = "talent_pool") -> dict | None:
    """The prospect's email consent for `purpose` (status `none` when none was recorded)."""
    found = await api.by_email("crm", addr)
    if not found:
        return None
    read = (await http.get(f"{e2e.crm_url}/v1/prospects/{found[0]['id']}/consent")).json()
    return next((c for c in read["purposes"] if c["channel"] == "email" and c["purpose"] == purpose),
                {"purpose": purpose, "status": "none"})


def _confirmations(e2e, addr: str) -> list:
    return [m for m in e2e.mailbox if m["To"] == addr and "talent pool" in m["Subject"].lower()]


async def _consent_is(e2e, http, api, addr: str, status: str) -> dict:
    async def reached():
        consent = await _email_consent(e2e, http, api, addr)
        return consent if consent and consent["status"] == status else None
    return await e2e.wait_until(reached, timeout=20, message=f"talent-pool consent {status} at the CRM")


async def _confirm_by_mail(e2e, addr: str) -> None:
    """Follow the link of the CRM's confirmation mail as the person's browser does: the page, then its button."""
    [mail] = await e2e.wait_until(lambda: _confirmations(e2e, addr), timeout=20, interval=0.2,
                                  message="the talent-pool confirmation mail")
    text = mail.get_body(("plain",)).get_content()
    assert "keep your profile and consider you for other jobs" in text and mail["List-Unsubscribe"] is None
    link = re.search(rf"{re.escape(e2e.crm_url)}/public/confirm/[A-Za-z0-9_\-.]+", text).group(0)
    async with httpx.AsyncClient(timeout=15) as browser:  # no API key: a person's browser
        page = await browser.get(link)
        assert page.status_code == 200 and "talent pool" in page.text and 'method="post"' in page.text, page.text
        done = await browser.post(link, data={"csrf_token": html.unescape(CSRF.search(page.text).group(1))})
        assert done.status_code == 200 and "confirmed" in done.text.lower(), done.text


async def test_the_careers_consent_box_asks_the_person_to_confirm_talent_pool_consent(e2e, http, api, email):
    job = (await http.post(f"{e2e.ats_url}/v1/jobs", json={"title": "Compiler engineer"})).json()
    assert (await http.post(f"{e2e.ats_url}/v1/jobs/{job['id']}/open")).status_code == 200
    ticked, unticked = email("pool"), email("nopool")
    await _apply(e2e, http, job["id"], ticked, talent_pool="yes")
    await _apply(e2e, http, job["id"], unticked)

    requested = await _consent_is(e2e, http, api, ticked, "requested")  # not granted: anyone can type an address
    assert (requested["lawful_basis"], requested["source"], requested["text_version"]) == (
        "consent", "talent_pool", "talent-pool-2026-12")
    [prospect] = await api.by_email("crm", ticked)
    [candidate] = await api.by_email("ats", ticked)
    assert (await api.link_of_candidate(candidate["id"]))["crm_prospect_id"] == prospect["id"]

    await _confirm_by_mail(e2e, ticked)
    consent = await _email_consent(e2e, http, api, ticked)
    assert (consent["status"], consent["lawful_basis"], consent["source"], consent["text_version"]) == (
        "granted", "consent", "talent_pool", "talent-pool-2026-12")
    assert (await _email_consent(e2e, http, api, ticked, "marketing"))["status"] != "granted"  # the pool only
    other = await e2e.wait_until(lambda: _email_consent(e2e, http, api, unticked), timeout=20,
                                 message="the unticked applicant's prospect")
    assert other["status"] not in ("granted", "requested") and _confirmations(e2e, unticked) == []


async def test_ticking_the_box_again_never_overturns_a_withdrawn_talent_pool_consent(e2e, http, api, email):
    jobs = [(await http.post(f"{e2e.ats_url}/v1/jobs", json={"title": f"Compiler engineer {i}"})).json() for i in range(2)]
    for job in jobs:
        assert (await http.post(f"{e2e.ats_url}/v1/jobs/{job['id']}/open")).status_code == 200
    addr = email("withdrew")
    await _apply(e2e, http, jobs[0]["id"], addr, talent_pool="yes")
    await _consent_is(e2e, http, api, addr, "requested")
    await _confirm_by_mail(e2e, addr)
    await _consent_is(e2e, http, api, addr, "granted")
    [prospect] = await api.by_email("crm", addr)
    r = await http.put(f"{e2e.crm_url}/v1/prospects/{prospect['id']}/consent/email",
                       json={"purpose": "talent_pool", "status": "withdrawn", "source": "candidate_request"})
    assert r.status_code == 200, r.text
    await _apply(e2e, http, jobs[1]["id"], addr, talent_pool="yes")

    async def second_application_seen():
        timeline = (await http.get(f"{e2e.crm_url}/v1/prospects/{prospect['id']}/activities",
                                   params={"limit": 200})).json()["data"]
        return len([a for a in timeline if a["kind"] == "applied"]) >= 2 or None
    await e2e.wait_until(second_application_seen, timeout=20, message="the second application on the CRM timeline")

    async def drained():  # the gateway asks for the confirmation right after telling the CRM of the application
        text = (await http.get(f"{e2e.gateway_url}/metrics")).text
        lags = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line.startswith('consumer_lag_messages{consumer="sync-gateway"')]
        return lags and all(lag == 0 for lag in lags)
    await e2e.wait_until(drained, timeout=30, interval=0.5, message="the gateway consumer caught up")
    await asyncio.sleep(1.5)  # a scheduler pass or more (0.2 s): a queued mail would have gone out
    assert (await _email_consent(e2e, http, api, addr))["status"] == "withdrawn"
    assert len(_confirmations(e2e, addr)) == 1  # the first application's only: nobody is asked again
