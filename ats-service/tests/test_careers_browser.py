"""The candidate's edges in a real browser: Debian's headless Chromium driven by Playwright against a real ATS
process (uvicorn, fresh migrated database, its task worker sending over a real aiosmtpd server). A candidate
browses the board, opens a job (whose JSON-LD parses with the required fields), applies with a resume using the
keyboard only (a real PDF, which the resumes feature reads: its skills reach the candidate's resumes), sees the
confirmation and gets the email, answers the voluntary EEO questions (seen only with scope `ats:eeo`, never on the
outbox or Kafka); then books an interview slot from the emailed link. Every page passes axe-core's WCAG 2.x A/AA
rules.

axe-core is installed at test time from the npm registry into `.local/npm` (pinned version; never a CDN, nothing
vendored in git); the engine is injected into the page under test. Chromium, Playwright or npm missing is a
failure, never a skip."""
from __future__ import annotations

import asyncio
import json
import re
import secrets
import shutil
import subprocess
import uuid
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from talent_dev.testing import Inbox, ServiceProcess, free_port, read_topic, smtp_sink
from talent_dev.testing.browser import chromium

from .documents import pdf

AXE_VERSION = "4.14.1"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RESUME = ["Mary Jackson", "Senior Data Engineer at Langley Analytics  Mar 2018 - Present",
          "Python, Apache Kafka, PostgreSQL and Terraform every day."]


def axe_source(repo_root: Path) -> str:
    """axe.min.js from the npm package, installed once into .local/npm."""
    target = repo_root / ".local" / "npm" / "node_modules" / "axe-core"
    if json.loads((target / "package.json").read_text()).get("version") != AXE_VERSION if target.exists() else True:
        npm = shutil.which("npm")
        assert npm, "npm is missing: apt-get install -y npm"
        subprocess.run([npm, "install", "--no-audit", "--no-fund", "--silent", "--prefix", str(target.parents[1]),
                        f"axe-core@{AXE_VERSION}"], check=True, timeout=300)
    return (target / "axe.min.js").read_text()


@pytest.fixture(scope="module")
def stack(talent_stack) -> Iterator[tuple[str, dict[str, str], Inbox, str]]:
    with smtp_sink() as (inbox, smtp_port), talent_stack.database("ats-service", "ats_careers_browser") as url:
        admin = f"careers-admin-{secrets.token_hex(8)}"
        log_dir = talent_stack.repo_root / ".local" / "test-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        proc = ServiceProcess(factory="ats.main:create_app", port=port, bin_dir=talent_stack.venv_bin, env={
            "ATS_DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap, "TALENT_ADMIN_API_KEY": admin,
            "TALENT_GATEWAY_API_KEY": f"careers-gw-{secrets.token_hex(8)}", "TALENT_ENVIRONMENT": "development",
            "ATS_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "ATS_SMTP_PORT": str(smtp_port),
            "ATS_MAIL_FROM": "talent@acme.example", "ATS_TASKS_POLL_SECONDS": "0.2"},
            log_path=log_dir / "ats-careers-browser.log")
        proc.start()
        try:
            yield proc.url, {"Authorization": f"Bearer {admin}"}, inbox, url
        finally:
            proc.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with chromium() as b:
        yield b


def accessible(page, axe: str) -> None:
    """axe-core's WCAG 2.x A/AA rules find nothing on the page."""
    page.add_script_tag(content=axe)
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG)
    assert result["passes"], "axe ran no rule"
    assert result["violations"] == [], [(v["id"], [n["html"] for n in v["nodes"]]) for v in result["violations"]]


def tab_to(page, element_id: str, limit: int = 40) -> list[str]:
    """Press Tab until `element_id` has the focus; returns the ids passed on the way (fails past `limit`)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement && (document.activeElement.id || document.activeElement.textContent)")
        seen.append(focused)
        if focused == element_id:
            return seen
    raise AssertionError(f"Tab never reached #{element_id}: {seen}")


def off_the_loop(work: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine on its own loop in a worker thread (Playwright's sync API owns this thread)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, work).result(timeout=120)


async def outbox_rows_naming(database_url: str, needle: str) -> int:
    conn = await asyncpg.connect(database_url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE event_type LIKE '%eeo%' OR envelope::text LIKE $1",
                                   f"%{needle}%")
    finally:
        await conn.close()


def test_a_candidate_finds_a_job_applies_by_keyboard_answers_the_eeo_step_and_books_an_interview(stack, browser, talent_stack) -> None:
    base, admin, inbox, database_url = stack
    axe = axe_source(talent_stack.repo_root)
    api = httpx.Client(base_url=base, headers=admin, timeout=15)
    title = f"Data engineer {uuid.uuid4().hex[:4]}"
    job = api.post("/v1/jobs", json={"title": title, "department": "Data", "location": "Lisbon",
                                     "employment_type": "full_time", "description": "Pipelines and models."}).json()
    assert api.post(f"/v1/jobs/{job['id']}/open").status_code == 200
    assert api.put(f"/v1/jobs/{job['id']}/posting", json={
        "locality": "Lisbon", "country": "PT", "salary_min": "50000", "salary_max": "65000", "salary_currency": "EUR",
        "valid_through": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        "questions": [{"id": "sql", "label": "Do you write SQL every day?", "kind": "yes_no", "required": True}]}).status_code == 201
    context = browser.new_context(bypass_csp=True)  # only so that the test can inject axe-core
    page = context.new_page()
    applicant = f"kb-{uuid.uuid4().hex[:10]}@example.com"
    resume = talent_stack.repo_root / ".local" / "test-logs" / f"resume-{uuid.uuid4().hex[:6]}.pdf"
    resume.write_bytes(pdf(RESUME))
    try:
        page.goto(f"{base}/careers")
        accessible(page, axe)
        page.get_by_label("Department").select_option("Data")
        page.get_by_role("button", name="Show jobs").click()
        page.get_by_role("link", name=title).click()
        assert page.get_by_role("heading", level=1).inner_text() == title
        data = json.loads(page.locator('script[type="application/ld+json"]').text_content())
        for required in ("title", "description", "datePosted", "validThrough", "hiringOrganization", "jobLocation",
                         "employmentType", "baseSalary", "identifier"):
            assert data.get(required), required
        assert data["jobLocation"]["address"]["addressCountry"] == "PT"
        accessible(page, axe)
        page.get_by_role("link", name=f"Apply for {title}").click()
        accessible(page, axe)

        # keyboard only: the controls come in reading order, the honeypot is never reached
        passed = tab_to(page, "first_name")
        page.keyboard.type("Mary")
        order = [tab_to(page, name, limit=3)[-1] for name in ("last_name", "email", "phone", "resume")]
        assert order == ["last_name", "email", "phone", "resume"] and "website" not in passed
        page.locator("#resume").set_input_files(str(resume))  # the file dialog is the one step a keyboard cannot script
        page.locator("#last_name").focus()
        page.keyboard.type("Jackson")
        page.keyboard.press("Tab")
        page.keyboard.type(applicant)
        tab_to(page, "q_sql-0", limit=4)
        page.keyboard.press("Space")
        rest = tab_to(page, "talent_pool", limit=4)
        assert "website" not in rest
        page.keyboard.press("Space")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.textContent") == "Send application"
        with page.expect_navigation():  # the submit navigates: wait for the answer page, not the form
            page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert page.get_by_role("heading", level=1).inner_text() == "Thank you, Mary!"
        accessible(page, axe)

        [candidate] = api.get("/v1/candidates", params={"email": applicant}).json()["data"]
        [application] = api.get("/v1/applications", params={"candidate_id": candidate["id"]}).json()["data"]
        assert (application["job_id"], application["source"]) == (job["id"], "career_site")
        [confirmation] = inbox.wait_for(applicant)
        assert confirmation["Subject"] == f"Your application: {title}"
        [read] = api.get(f"/v1/candidates/{candidate['id']}/resumes").json()["data"]
        assert read["content_type"] == "application/pdf" and read["filename"] == resume.name
        assert {"Python", "Kafka", "PostgreSQL", "Terraform"} <= set(read["fields"]["skills"]["value"])

        # the voluntary EEO step, by keyboard: each question starts on "I do not wish to answer"
        tab_to(page, "Answer the voluntary questions", limit=10)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.get_by_role("heading", level=1).inner_text() == "Voluntary self-identification"
        accessible(page, axe)
        for name in ("gender", "race_ethnicity", "veteran_status", "disability_status"):
            assert page.locator(f"#{name}-0").is_checked()
            assert page.get_by_role("group", name=page.locator(f"#{name} legend").inner_text()).count() == 1
        tab_to(page, "gender-0", limit=10)
        page.keyboard.press("ArrowDown")  # arrows move the choice within a radio group
        assert page.get_by_label("Female", exact=True).is_checked()
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "race_ethnicity-0"
        page.keyboard.press("ArrowDown")
        assert page.get_by_label("Hispanic or Latino", exact=True).is_checked()
        tab_to(page, "Send my answers", limit=4)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert "Your answers are recorded" in page.get_by_role("status").inner_text()
        accessible(page, axe)
        officer = api.post("/v1/api-keys", json={"name": f"eeo-{uuid.uuid4().hex[:8]}", "scopes": ["ats:eeo"]}).json()["key"]
        recruiter = api.post("/v1/api-keys", json={"name": f"rec-{uuid.uuid4().hex[:8]}", "scopes": ["ats:read", "ats:write"]}).json()["key"]
        answers = {"application_id": application["id"]}
        assert httpx.get(f"{base}/v1/eeo-responses", params=answers, headers={"Authorization": f"Bearer {recruiter}"}).status_code == 403
        [self_id] = httpx.get(f"{base}/v1/eeo-responses", params=answers,
                              headers={"Authorization": f"Bearer {officer}"}).json()["data"]
        assert (self_id["gender"], self_id["race_ethnicity"], self_id["veteran_status"]) == (
            "female", "hispanic_or_latino", "decline_to_answer")
        assert off_the_loop(outbox_rows_naming(database_url, self_id["id"])) == 0
        screen = next(s["id"] for s in job["stages"] if s["kind"] == "screen")
        moved = api.post(f"/v1/applications/{application['id']}/move", json={  # a later event: the sentinel
            "from_stage_id": application["stage"]["id"], "to_stage_id": screen})
        assert moved.status_code == 200, moved.text
        sentinel = str(moved.json()["version"]).encode()
        on_kafka = off_the_loop(read_topic(
            talent_stack.kafka_bootstrap, "ats.applications", match=lambda r: r.key == application["id"].encode(),
            until=lambda got: any(dict(r.headers).get("ce_sequence") == sentinel for r in got)))
        seen = " ".join(r.value.decode() + str(r.headers) for r in on_kafka)
        assert self_id["id"] not in seen and "hispanic" not in seen and "eeo" not in seen

        # the same person again: a friendly page
        page.goto(f"{base}/careers/jobs/{job['id']}/apply")
        page.get_by_label("First name", exact=True).fill("Mary")
        page.get_by_label("Last name", exact=True).fill("Jackson")
        page.get_by_label("Email address", exact=True).fill(applicant)
        page.get_by_label("Resume", exact=True).set_input_files(str(resume))
        page.get_by_label("Yes", exact=True).check()
        page.get_by_role("button", name="Send application").click()
        assert page.get_by_role("heading", level=1).inner_text() == "You have already applied"

        # an error re-renders with the message next to the field, and stays accessible
        page.goto(f"{base}/careers/jobs/{job['id']}/apply")
        page.get_by_label("First name", exact=True).fill("Mary")
        page.get_by_role("button", name="Send application").click()
        assert page.locator("#email-error").inner_text() == "Enter your email address."
        assert page.get_by_label("First name", exact=True).input_value() == "Mary"
        accessible(page, axe)

        # the recruiter offers interview times; the candidate picks one from the emailed link
        interviewer = f"panel-{uuid.uuid4().hex[:8]}@acme.example"
        monday = datetime(2031, 3, 3, tzinfo=UTC)
        assert api.put(f"/v1/interviewers/{interviewer}", json={"timezone": "Europe/Lisbon", "working_hours": [
            {"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]}).status_code == 201
        stage = next(s["id"] for s in job["stages"] if s["kind"] == "interview")
        invite = api.post("/v1/scheduling-invites", json={
            "application_id": application["id"], "stage_id": stage, "interviewers": [interviewer],
            "duration_minutes": 45, "window_start": (monday + timedelta(hours=9)).isoformat(),
            "window_end": (monday + timedelta(hours=12)).isoformat(), "timezone": "Europe/Lisbon",
            "expires_at": (monday + timedelta(hours=8)).isoformat()})
        assert invite.status_code == 201, invite.text
        link = re.search(r"(http://\S+/public/interviews/\S+)", inbox.wait_for(applicant, 2)[1].get_content()).group(1)
        page.goto(link)
        accessible(page, axe)
        page.get_by_label("10:00 – 10:45").check()
        page.get_by_role("button", name="Book this time").click()
        assert page.get_by_role("heading", level=1).inner_text() == "Your interview is booked"
        assert "10:00" in page.get_by_role("status").inner_text()
        invitation = inbox.wait_for(applicant, 3)[2]
        assert any(p.get_content_type() == "text/calendar" for p in invitation.walk())
    finally:
        page.close()
        context.close()
        api.close()
        resume.unlink(missing_ok=True)
