"""An application from the ATS careers site with the talent-pool box ticked makes the person a CRM prospect with
`talent_pool` consent on email (DESIGN.md §10; nothing else, and never over a withdrawal): the form's consent rides on `ats.application.created.v1` and
the gateway records it at the CRM. Without the box, the prospect gets no consent."""
import html
import re

RESUME = b"Grace Hopper\nCompiler engineer: COBOL, FORTRAN and UNIVAC since 1949.\n"  # read by the ATS resumes feature


async def _apply(e2e, http, job_id: str, addr: str, **extra: str) -> None:
    page = await http.get(f"{e2e.ats_url}/careers/jobs/{job_id}/apply")
    assert page.status_code == 200, page.text
    csrf = html.unescape(re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1))
    r = await http.post(f"{e2e.ats_url}/careers/jobs/{job_id}/apply", files={"resume": ("cv.txt", RESUME, "text/plain")},
                        data={"csrf_token": csrf, "first_name": "Grace", "last_name": "Hopper", "email": addr,
                              "consent_version": "talent-pool-2026-12", **extra})
    assert r.status_code == 200 and "Thank you, Grace!" in r.text, r.text


async def _email_consent(e2e, http, api, addr: str, purpose: str = "talent_pool") -> dict | None:
    """The prospect's email consent for `purpose` (a `requested` placeholder when none was recorded)."""
    found = await api.by_email("crm", addr)
    if not found:
        return None
    read = (await http.get(f"{e2e.crm_url}/v1/prospects/{found[0]['id']}/consent")).json()
    return next((c for c in read["purposes"] if c["channel"] == "email" and c["purpose"] == purpose),
                {"purpose": purpose, "status": "none"})


async def test_the_careers_consent_box_makes_a_crm_prospect_with_talent_pool_consent(e2e, http, api, email):
    job = (await http.post(f"{e2e.ats_url}/v1/jobs", json={"title": "Compiler engineer"})).json()
    assert (await http.post(f"{e2e.ats_url}/v1/jobs/{job['id']}/open")).status_code == 200
    ticked, unticked = email("pool"), email("nopool")
    await _apply(e2e, http, job["id"], ticked, talent_pool="yes")
    await _apply(e2e, http, job["id"], unticked)

    async def granted():
        consent = await _email_consent(e2e, http, api, ticked)
        return consent if consent and consent["status"] == "granted" else None
    consent = await e2e.wait_until(granted, timeout=20, message="talent-pool consent at the CRM")
    assert (consent["lawful_basis"], consent["source"], consent["text_version"]) == (
        "consent", "talent_pool", "talent-pool-2026-12")
    [prospect] = await api.by_email("crm", ticked)
    [candidate] = await api.by_email("ats", ticked)
    assert (await api.link_of_candidate(candidate["id"]))["crm_prospect_id"] == prospect["id"]

    assert (await _email_consent(e2e, http, api, ticked, "marketing"))["status"] != "granted"  # the pool only
    other = await e2e.wait_until(lambda: _email_consent(e2e, http, api, unticked), timeout=20,
                                 message="the unticked applicant's prospect")
    assert other["status"] != "granted"


async def test_ticking_the_box_again_never_overturns_a_withdrawn_talent_pool_consent(e2e, http, api, email):
    jobs = [(await http.post(f"{e2e.ats_url}/v1/jobs", json={"title": f"Compiler engineer {i}"})).json() for i in range(2)]
    for job in jobs:
        assert (await http.post(f"{e2e.ats_url}/v1/jobs/{job['id']}/open")).status_code == 200
    addr = email("withdrew")
    await _apply(e2e, http, jobs[0]["id"], addr, talent_pool="yes")

    async def granted():
        consent = await _email_consent(e2e, http, api, addr)
        return consent if consent and consent["status"] == "granted" else None
    await e2e.wait_until(granted, timeout=20, message="talent-pool consent at the CRM")
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
    assert (await _email_consent(e2e, http, api, addr))["status"] == "withdrawn"
