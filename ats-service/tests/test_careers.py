"""The careers site over ASGI: job board filters, the job page's complete schema.org JobPosting JSON-LD, and the
apply form (the resume read by the resumes feature, screening questions and knock-outs, talent-pool consent on the
event, honeypot, CSRF, rate limit, a second application shown as a friendly page, the confirmation email over
SMTP)."""
from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import timedelta

from sqlalchemy import text

from .documents import encrypted_pdf, pdf

RESUME_LINES = ["Ada Lovelace", "Senior Platform Engineer at Analytical Engines  Jan 2019 - Present",
                "Kubernetes, Python and PostgreSQL in production.", "linkedin.com/in/ada-lovelace-engines"]
PDF = pdf(RESUME_LINES)
LDJSON = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.DOTALL)
QUESTIONS = [
    {"id": "work_permit", "label": "Do you have a work permit for Germany?", "kind": "yes_no", "required": True,
     "knockout_answers": ["no"]},
    {"id": "seniority", "label": "Your level", "kind": "single_choice", "choices": ["Junior", "Senior"], "required": False},
    {"id": "why", "label": "Why us?", "kind": "text", "required": False},
]


async def posted_job(ats, **posting) -> dict:
    job = await ats.open_job(title=f"Backend engineer {uuid.uuid4().hex[:4]}", department="Engineering",
                             location="Berlin", employment_type="full_time",
                             description="Build the platform.\n\nWith a friendly team.")
    r = await ats.client.put(f"/v1/jobs/{job['id']}/posting", json={
        "street_address": "Unter den Linden 1", "locality": "Berlin", "postal_code": "10117", "country": "de",
        "salary_min": "70000", "salary_max": "90000", "salary_currency": "EUR", "valid_through": "2031-06-30T00:00:00Z",
        "questions": QUESTIONS, **posting})
    assert r.status_code == 201, r.text
    return job


def form(csrf: str, email: str, **over) -> dict:
    return {"csrf_token": csrf, "first_name": "Ada", "last_name": "Lovelace", "email": email, "phone": "+44 20 7946 0958",
            "q_work_permit": "yes", "q_seniority": "Senior", "q_why": "Engines.", "consent_version": "talent-pool-2026-12",
            **over}


async def apply(browser, job: dict, email: str, *, resume: bytes = PDF, **over):
    page = await browser.get(f"/careers/jobs/{job['id']}/apply")
    assert page.status_code == 200, page.text
    return await browser.post(f"/careers/jobs/{job['id']}/apply", data=form(_csrf(page.text), email, **over),
                              files={"resume": ("cv.pdf", resume, "application/pdf")})


def _csrf(page: str) -> str:
    import html
    return html.unescape(re.search(r'name="csrf_token" value="([^"]+)"', page).group(1))


async def applications_of(ats, email: str) -> list[dict]:
    [candidate] = (await ats.client.get("/v1/candidates", params={"email": email})).json()["data"]
    return (await ats.client.get("/v1/applications", params={"candidate_id": candidate["id"]})).json()["data"]


async def test_the_job_page_carries_a_complete_job_posting_and_the_board_filters(ats) -> None:
    job = await posted_job(ats)
    remote = await ats.open_job(title="Remote SRE", department="Operations", location="Remote", employment_type="contract")
    r = await ats.client.put(f"/v1/jobs/{remote['id']}/posting", json={"remote": True, "applicant_countries": ["DE", "FR"]})
    assert r.status_code == 201
    async with ats.browser() as browser:
        page = await browser.get(f"/careers/jobs/{job['id']}")
        assert page.status_code == 200 and "<h1>" in page.text and "Salary: 70,000 – 90,000 EUR per year" in page.text
        data = json.loads(LDJSON.search(page.text).group(1))
        assert data["@type"] == "JobPosting" and data["title"] == job["title"]
        assert data["description"].startswith("Build the platform.") and data["datePosted"] == job["opened_at"][:10]
        assert data["validThrough"].startswith("2031-06-30") and data["employmentType"] == "FULL_TIME"
        assert data["hiringOrganization"]["name"] and data["identifier"]["value"] == job["id"]
        assert data["jobLocation"]["address"] == {"@type": "PostalAddress", "streetAddress": "Unter den Linden 1",
                                                  "addressLocality": "Berlin", "postalCode": "10117", "addressCountry": "DE"}
        assert data["baseSalary"] == {"@type": "MonetaryAmount", "currency": "EUR", "value": {
            "@type": "QuantitativeValue", "minValue": 70000.0, "maxValue": 90000.0, "unitText": "YEAR"}}
        far = json.loads(LDJSON.search((await browser.get(f"/careers/jobs/{remote['id']}")).text).group(1))
        assert far["jobLocationType"] == "TELECOMMUTE" and "jobLocation" not in far and "baseSalary" not in far
        assert far["applicantLocationRequirements"] == [{"@type": "Country", "name": "DE"}, {"@type": "Country", "name": "FR"}]

        board = await browser.get("/careers", params={"department": "Operations"})
        assert remote["title"] in board.text and job["title"] not in board.text
        assert '<option value="Operations" selected>' in board.text
        assert job["title"] in (await browser.get("/careers", params={"location": "Berlin"})).text
        assert (await browser.get(f"/careers/jobs/{uuid.uuid4()}")).status_code == 404
    bad = await ats.client.put(f"/v1/jobs/{remote['id']}/posting", json={"remote": True, "applicant_countries": []},
                               headers={"If-Match": '"1"'})
    assert bad.status_code == 422
    knock = await ats.client.put(f"/v1/jobs/{remote['id']}/posting", headers={"If-Match": '"1"'}, json={
        "remote": True, "applicant_countries": ["DE"], "questions": [{"id": "x", "label": "?", "kind": "text", "knockout_answers": ["a"]}]})
    assert knock.status_code == 422 and knock.json()["errors"][0]["field"].startswith("questions")
    assert (await ats.client.put(f"/v1/jobs/{remote['id']}/posting", json={"remote": False})).status_code == 428


async def resumes_of(ats, candidate_id: str) -> list[dict]:
    r = await ats.client.get(f"/v1/candidates/{candidate_id}/resumes")
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_applying_creates_candidate_and_application_reads_the_resume_and_mails_a_confirmation(ats) -> None:
    job = await posted_job(ats)
    email = ats.new_email("apply")
    async with ats.browser() as browser:
        r = await apply(browser, job, email, talent_pool="yes")
        assert r.status_code == 200, r.text
        assert "Thank you, Ada!" in r.text
    [app] = await applications_of(ats, email)
    assert (app["job_id"], app["status"], app["source"]) == (job["id"], "active", "career_site")
    async with ats.engine.connect() as conn:
        row = (await conn.execute(text("SELECT answers, resume_id, resume, talent_pool_consent_at FROM career_applications "
                                       "WHERE application_id = :a"), {"a": app["id"]})).one()
    assert row.answers == {"work_permit": "yes", "seniority": "Senior", "why": "Engines."}
    assert row.resume is None and row.talent_pool_consent_at is not None  # no plain copy: the resumes feature keeps it
    [resume] = await resumes_of(ats, app["candidate_id"])
    assert str(row.resume_id) == resume["id"] and (resume["content_type"], resume["filename"]) == ("application/pdf", "cv.pdf")
    assert {"Kubernetes", "Python", "PostgreSQL"} <= set(resume["fields"]["skills"]["value"])
    assert resume["fields"]["current_title"]["value"] == "Senior Platform Engineer"
    candidate = (await ats.client.get(f"/v1/candidates/{app['candidate_id']}")).json()
    assert candidate["links"] == ["https://linkedin.com/in/ada-lovelace-engines"]  # read from the resume
    parsed = await ats.events_for(resume["id"], topic="ats.resumes", until=lambda rs: len(rs) >= 1)
    assert dict(parsed[0].headers)["ce_type"] == b"ats.resume.parsed.v1"
    records = await ats.events_for(app["id"], topic="ats.applications", until=lambda rs: len(rs) >= 1)
    created = json.loads(records[0].value)
    assert created["talent_pool_consent"]["text_version"] == "talent-pool-2026-12"
    await ats.run_tasks()
    [mail] = ats.inbox.to(email)
    assert mail["Subject"] == f"Your application: {job['title']}" and "Hello Ada" in mail.get_content()

    async with ats.browser() as browser:  # the same person again: a friendly page, not a second application
        again = await apply(browser, job, email.upper())
        assert again.status_code == 200 and "You have already applied" in again.text
    assert len(await applications_of(ats, email)) == 1


async def test_the_same_file_sent_to_two_jobs_is_one_resume_of_the_candidate(ats) -> None:
    first, second = await posted_job(ats), await posted_job(ats)
    email = ats.new_email("twice")
    async with ats.browser() as browser:
        for job in (first, second):
            r = await apply(browser, job, email)
            assert r.status_code == 200 and "Thank you" in r.text, r.text
    apps = await applications_of(ats, email)
    assert {a["job_id"] for a in apps} == {first["id"], second["id"]}
    [resume] = await resumes_of(ats, apps[0]["candidate_id"])
    async with ats.engine.connect() as conn:
        linked = (await conn.execute(text("SELECT DISTINCT resume_id FROM career_applications WHERE candidate_id = :c"),
                                     {"c": apps[0]["candidate_id"]})).scalars().all()
    assert [str(x) for x in linked] == [resume["id"]]


async def test_a_resume_that_cannot_be_read_shows_next_to_its_field_keeps_the_input_and_stores_nothing(ats) -> None:
    job = await posted_job(ats)
    email, locked = ats.new_email("locked"), encrypted_pdf(RESUME_LINES)
    async with ats.browser() as browser:
        r = await apply(browser, job, email, q_why="Engines & <maths>", resume=locked)
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert 'id="resume-error">The PDF is password-protected; upload it without a password.' in r.text
        assert 'aria-invalid="true" aria-describedby="resume-hint resume-error"' in r.text
        assert f'value="{email}"' in r.text and 'value="Engines &amp; &lt;maths&gt;"' in r.text
        assert 'value="yes" checked' in r.text  # the work-permit answer is kept too
    assert (await ats.client.get("/v1/candidates", params={"email": email})).json()["data"] == []
    async with ats.engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM resumes WHERE sha256 = :h"),
                                   {"h": hashlib.sha256(locked).hexdigest()})).scalar() == 0


async def test_errors_show_next_to_their_fields_and_keep_what_was_typed(ats) -> None:
    job = await posted_job(ats)
    async with ats.browser() as browser:
        r = await apply(browser, job, "not-an-email", first_name="<b>Ada</b>", last_name="", q_work_permit="",
                        q_seniority="CEO", resume=b"MZ\x90\x00\x03binary")
        assert r.status_code == 422 and r.headers["content-type"].startswith("text/html")
        assert 'id="last_name-error">Enter your last name.' in r.text
        assert 'id="email-error">Enter a valid email address' in r.text
        assert 'aria-invalid="true" aria-describedby="email-error"' in r.text
        assert 'id="resume-error">We could not read this file' in r.text
        assert 'id="q_work_permit-error">Choose an answer.' in r.text and 'id="q_seniority-error">Choose one of' in r.text
        assert 'value="&lt;b&gt;Ada&lt;/b&gt;"' in r.text and "<b>Ada</b>" not in r.text and 'value="not-an-email"' in r.text
        fixed = await browser.post(f"/careers/jobs/{job['id']}/apply", data=form(_csrf(r.text), ats.new_email("fix")),
                                   files={"resume": ("cv.txt", b"Ada Lovelace\nAnalytical engines", "text/plain")})
        assert fixed.status_code == 200 and "Thank you" in fixed.text


async def test_a_knock_out_answer_rejects_with_a_reason_and_the_candidate_sees_the_usual_confirmation(ats) -> None:
    job = await posted_job(ats)
    email = ats.new_email("ko")
    async with ats.browser() as browser:
        r = await apply(browser, job, email, q_work_permit="no")
    assert r.status_code == 200 and "Thank you" in r.text
    [app] = await applications_of(ats, email)
    assert app["status"] == "rejected" and "work permit" in app["reject_notes"]
    reasons = {x["id"]: x["name"] for x in (await ats.client.get("/v1/reject-reasons")).json()}
    assert reasons[app["reject_reason_id"]] == "Knock-out question"


async def test_honeypot_csrf_rate_limit_and_closed_jobs_store_nothing(ats) -> None:
    job = await posted_job(ats)
    bot = ats.new_email("bot")
    async with ats.browser() as browser:
        r = await apply(browser, job, bot, website="http://spam.example")
        assert r.status_code == 200 and "Thank you" in r.text
        assert (await ats.client.get("/v1/candidates", params={"email": bot})).json()["data"] == []
        forged = await browser.post(f"/careers/jobs/{job['id']}/apply", data=form("forged", ats.new_email()),
                                    files={"resume": ("cv.pdf", PDF, "application/pdf")})
        assert forged.status_code == 403 and "Form expired" in forged.text
    async with ats.browser("10.251.251.251") as flood:
        statuses = [(await flood.post(f"/careers/jobs/{job['id']}/apply", data={"csrf_token": "x"})).status_code
                    for _ in range(21)]
        assert statuses[:20] == [403] * 20 and statuses[20] == 429
        assert (await flood.get(f"/careers/jobs/{job['id']}")).status_code == 200  # reading stays possible
    assert (await ats.client.post(f"/v1/jobs/{job['id']}/close", json={"reason": "filled"})).status_code == 200
    async with ats.browser() as browser:
        assert (await browser.get(f"/careers/jobs/{job['id']}/apply")).status_code == 404
        assert job["title"] not in (await browser.get("/careers")).text


EEO_LINK = re.compile(r'href="(/careers/self-identification/[^"]+)"')


async def eeo_key(ats) -> dict[str, str]:
    r = await ats.client.post("/v1/api-keys", json={"name": f"eeo-{uuid.uuid4().hex[:8]}", "scopes": ["ats:eeo"]})
    assert r.status_code == 201, r.text
    return ats.auth(r.json()["key"])


async def test_the_confirmation_offers_a_voluntary_eeo_step_stored_apart_and_changing_nothing(ats) -> None:
    job = await posted_job(ats)
    email = ats.new_email("eeo")
    async with ats.browser() as browser:
        thanks = await apply(browser, job, email)
        assert "Answer the voluntary questions" in thanks.text
        link = EEO_LINK.search(thanks.text).group(1)
        [app] = await applications_of(ats, email)
        before = (await ats.client.get(f"/v1/applications/{app['id']}")).json()
        page = await browser.get(link)
        assert page.status_code == 200 and "Answering is entirely voluntary" in page.text
        for name in ("gender", "race_ethnicity", "veteran_status", "disability_status"):
            assert f'<fieldset id="{name}"><legend>' in page.text
            assert f'<input type="radio" id="{name}-0" name="{name}" value="decline_to_answer" checked>' in page.text
            assert f'<label for="{name}-0">I do not wish to answer</label>' in page.text
        bad = await browser.post(link, data={"csrf_token": ats.csrf_in(page.text), "gender": "robot", "veteran_status": "protected_veteran"})
        assert bad.status_code == 422 and 'id="gender-error">Choose one of the answers' in bad.text
        assert 'value="protected_veteran" checked' in bad.text  # a valid choice is kept
        forged = await browser.post(link, data={"csrf_token": "forged", "gender": "female"})
        assert forged.status_code == 403
        done = await browser.post(link, data={"csrf_token": ats.csrf_in(bad.text), "gender": "female",
                                              "race_ethnicity": "asian", "veteran_status": "decline_to_answer"})
        assert done.status_code == 200 and "Your answers are recorded" in done.text
        again = await browser.get(link)
        assert "Your answers are recorded" in again.text and "female" not in again.text  # never shown back
        twice = await browser.post(link, data={"csrf_token": ats.csrf_in(bad.text), "gender": "male"})
        assert twice.status_code == 200 and "Your answers are recorded" in twice.text  # the first answers stand
    officer = await eeo_key(ats)
    [stored] = (await ats.anon.get("/v1/eeo-responses", params={"application_id": app["id"]}, headers=officer)).json()["data"]
    assert (stored["gender"], stored["race_ethnicity"], stored["veteran_status"], stored["disability_status"]) == (
        "female", "asian", "decline_to_answer", "decline_to_answer")
    recruiter = (await ats.client.post("/v1/api-keys", json={"name": f"rec-{uuid.uuid4().hex[:8]}",
                                                             "scopes": ["ats:read", "ats:write"]})).json()["key"]
    assert (await ats.anon.get("/v1/eeo-responses", params={"application_id": app["id"]},
                               headers=ats.auth(recruiter))).status_code == 403
    after = (await ats.client.get(f"/v1/applications/{app['id']}")).json()
    assert after == before  # answering changed nothing on the application
    audited = json.dumps((await ats.client.get("/v1/audit-events", params={"target_id": stored["id"]})).json())
    assert "eeo_response.submitted" in audited and "female" not in audited and "asian" not in audited  # the trail knows it happened, never what was said
    async with ats.engine.connect() as conn:
        leaked = (await conn.execute(text("SELECT count(*) FROM outbox WHERE event_type LIKE '%eeo%' OR envelope::text LIKE :id"),
                                     {"id": f"%{stored['id']}%"})).scalar()
    assert leaked == 0


async def test_declining_or_skipping_the_eeo_step_changes_nothing_and_a_bad_or_expired_link_is_refused(ats) -> None:
    job = await posted_job(ats)
    skipper, decliner = ats.new_email("skip"), ats.new_email("decline")
    async with ats.browser() as browser:
        await apply(browser, job, skipper)
        declined = await apply(browser, job, decliner)
        link = EEO_LINK.search(declined.text).group(1)
        page = await browser.get(link)
        assert '<a href="/careers">Skip this step</a>' in page.text
        r = await browser.post(link, data={"csrf_token": ats.csrf_in(page.text), "gender": "decline_to_answer"})
        assert r.status_code == 200 and "Your answers are recorded" in r.text
        assert (await browser.get(link[:-3] + "xyz")).status_code == 404
        assert (await browser.get("/careers/self-identification/not-a-token")).status_code == 404
        expired = ats.app.state.settings.signer().sign("eeo-self-identification", {"a": str(uuid.uuid4())},
                                                       lifetime=-timedelta(seconds=1))
        assert (await browser.get(f"/careers/self-identification/{expired}")).status_code == 410
        csrf = ats.csrf_in(page.text)
        other_purpose = ats.app.state.settings.signer().sign("csrf", {"a": str(uuid.uuid4())}, lifetime=timedelta(hours=1))
        assert (await browser.post(f"/careers/self-identification/{other_purpose}", data={"csrf_token": csrf})).status_code == 404
    officer = await eeo_key(ats)
    [skipped] = await applications_of(ats, skipper)
    [kept] = await applications_of(ats, decliner)
    assert (await ats.anon.get("/v1/eeo-responses", params={"application_id": skipped["id"]}, headers=officer)).json()["data"] == []
    [response] = (await ats.anon.get("/v1/eeo-responses", params={"application_id": kept["id"]}, headers=officer)).json()["data"]
    assert {response[q] for q in ("gender", "race_ethnicity", "veteran_status", "disability_status")} == {"decline_to_answer"}
    for app in (skipped, kept):
        assert (app["status"], app["version"]) == ("active", 1)
