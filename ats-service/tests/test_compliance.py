"""Compliance in the ATS over HTTP. EEO self-identification: only the `ats:eeo` scope reads or writes it, it never
shows in candidate, application or scorecard responses, never reaches the outbox or Kafka, and the report counts,
suppresses and applies the four-fifths rule. Erasure leaves no personal data in the ATS database and the audit trail
still verifies; legal holds block erasure and retention with a 409 that says why; retention (preview, runs, the
scheduled job) anonymises on time and the funnel, time-to-hire and source reports give the same numbers before and
after. Retention and tampering run on databases of their own with a controllable clock: a run anonymises everyone
due, and a broken chain would fail every later verification."""
from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest_asyncio
from ats.config import Settings
from ats.main import create_app
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from talent_dev.testing import is_problem, personal_data_hits, running_app, wait_until
from talentkit.clock import FakeClock


async def ok(coro, status: int = 200) -> httpx.Response:  # type: ignore[no-untyped-def]
    r = await coro
    assert r.status_code == status, (r.status_code, r.text)
    return r


async def verify(client: httpx.AsyncClient) -> dict:
    return (await ok(client.get("/v1/audit-events/verify"))).json()


def stage(job: dict, name: str) -> str:
    return next(s["id"] for s in job["stages"] if s["name"] == name)


async def move(client: httpx.AsyncClient, app: dict, job: dict, *names: str) -> dict:
    """Move the application through the named stages in turn."""
    for name in names:
        app = (await ok(client.post(f"/v1/applications/{app['id']}/move",
                                    json={"from_stage_id": app["stage"]["id"], "to_stage_id": stage(job, name)}))).json()
    return app


def person() -> dict:
    tag, digits = uuid.uuid4().hex[:10], str(uuid.uuid4().int)[:8]
    return {"first_name": f"Zephyrine{tag}", "last_name": f"Quillfeather{tag}", "emails": [f"zq-{tag}@example.com"],
            "phones": [f"+44 20 {digits[:4]} {digits[4:]}"], "location": "Leeds", "headline": "Welder", "tags": ["tig"],
            "source": "referral"}


async def job_in(client: httpx.AsyncClient, **fields: str) -> dict:
    job = (await ok(client.post("/v1/jobs", json={"title": f"Role {uuid.uuid4().hex[:6]}", **fields}), 201)).json()
    return (await ok(client.post(f"/v1/jobs/{job['id']}/open"))).json()


async def applicant(client: httpx.AsyncClient, job: dict, source: str = "linkedin") -> dict:
    return (await ok(client.post("/v1/applications", json={"job_id": job["id"], "candidate": person(), "source": source}), 201)).json()


@dataclass
class Ats:
    client: httpx.AsyncClient
    engine: AsyncEngine
    clock: FakeClock


async def key(ats, *scopes: str) -> dict[str, str]:
    r = await ok(ats.client.post("/v1/api-keys", json={"name": f"eeo-{uuid.uuid4().hex[:8]}", "scopes": list(scopes)}), 201)
    return ats.auth(r.json()["key"])


async def test_only_the_eeo_scope_reads_or_writes_self_identification(ats):
    job = await job_in(ats.client)
    app = await applicant(ats.client, job)
    body = {"application_id": app["id"], "gender": "female"}
    recruiter = await key(ats, "ats:read", "ats:write", "ats:audit")
    is_problem(await ats.anon.post("/v1/eeo-responses", json=body, headers=recruiter), 403)
    officer = await key(ats, "ats:eeo")
    created = (await ok(ats.anon.post("/v1/eeo-responses", json=body, headers=officer), 201)).json()
    assert created["gender"] == "female" and created["race_ethnicity"] == "decline_to_answer"
    is_problem(await ats.anon.get(f"/v1/eeo-responses/{created['id']}", headers=recruiter), 403)
    is_problem(await ats.anon.get(f"/v1/reports/eeo?job_id={job['id']}", headers=recruiter), 403)
    assert (await ok(ats.anon.get(f"/v1/eeo-responses?application_id={app['id']}", headers=officer))).json()["data"][0]["id"] == created["id"]
    is_problem(await ats.anon.post("/v1/eeo-responses", json=body, headers=officer), 409)
    is_problem(await ats.anon.post("/v1/eeo-responses", json={**body, "gender": "robot"}, headers=officer), 422)


async def test_answers_can_be_changed_under_if_match_and_withdrawn(ats):
    job = await job_in(ats.client)
    app = await applicant(ats.client, job)
    r = await ok(ats.client.post("/v1/eeo-responses", json={"application_id": app["id"], "veteran_status": "protected_veteran"}), 201)
    url = f"/v1/eeo-responses/{r.json()['id']}"
    is_problem(await ats.client.patch(url, json={"gender": "male"}), 428)
    changed = (await ok(ats.client.patch(url, json={"gender": "male"}, headers={"If-Match": r.headers["etag"]}))).json()
    assert changed["gender"] == "male" and changed["veteran_status"] == "protected_veteran" and changed["version"] == 2
    await ok(ats.client.delete(url), 204)
    is_problem(await ats.client.get(url), 404)


async def test_answers_never_leave_the_ats_nor_show_with_candidates_applications_scorecards_or_the_audit_trail(ats):
    job = await job_in(ats.client)
    app = await applicant(ats.client, job)
    eeo = (await ok(ats.client.post("/v1/eeo-responses", json={
        "application_id": app["id"], "gender": "female", "race_ethnicity": "native_hawaiian_or_other_pacific_islander",
        "veteran_status": "protected_veteran", "disability_status": "yes"}), 201)).json()
    moved = await move(ats.client, app, job, "Screen")  # a later event of the same application: the sentinel
    shown = json.dumps([(await ok(ats.client.get(f"/v1/candidates/{app['candidate_id']}"))).json(),
                        (await ok(ats.client.get(f"/v1/applications/{app['id']}"))).json(),
                        (await ok(ats.client.get(f"/v1/candidates/{app['candidate_id']}/activity"))).json(),
                        (await ok(ats.client.get(f"/v1/audit-events?target_id={eeo['id']}"))).json()])
    assert "native_hawaiian" not in shown and "protected_veteran" not in shown
    records = await ats.events_for(app["id"], topic="ats.applications", until=lambda got: any(
        dict(r.headers).get("ce_sequence") == str(moved["version"]).encode() for r in got))
    on_kafka = " ".join(r.value.decode() + str(r.headers) for r in records)
    assert eeo["id"] not in on_kafka and "native_hawaiian" not in on_kafka and "eeo" not in on_kafka
    async with ats.engine.connect() as conn:
        outbox = (await conn.execute(text("SELECT count(*) FROM outbox WHERE event_type LIKE '%eeo%' "
                                          "OR envelope::text LIKE :id"), {"id": f"%{eeo['id']}%"})).scalar()
    assert outbox == 0


async def test_the_eeo_report_suppresses_small_cells_and_flags_adverse_impact(ats):
    job = await job_in(ats.client)
    for gender, screened, count in (("male", 8, 10), ("female", 5, 10)):
        for i in range(count):
            app = await applicant(ats.client, job)
            await ok(ats.client.post("/v1/eeo-responses", json={"application_id": app["id"], "gender": gender}), 201)
            if i < screened:
                app = await move(ats.client, app, job, "Screen")
            if gender == "male" and i < 3:
                await move(ats.client, app, job, "Interview")
    await applicant(ats.client, job)  # no self-identification: counted as an application, not as a response
    report = (await ok(ats.client.get(f"/v1/reports/eeo?job_id={job['id']}"))).json()
    assert report["applications"] == 21 and report["responses"] == 20
    gender = next(d for d in report["dimensions"] if d["dimension"] == "gender")
    by_stage = {s["name"]: s for s in gender["stages"]}
    screen = {c["category"]: c for c in by_stage["Screen"]["counts"]}
    assert screen["male"]["count"] == 8 and screen["female"]["count"] == 5
    impact = {i["category"]: i for i in by_stage["Screen"]["impact"]}
    assert impact["female"]["impact_ratio"] == 0.625 and impact["female"]["adverse_impact"] is True
    assert impact["male"]["adverse_impact"] is False
    interview = {c["category"]: c for c in by_stage["Interview"]["counts"]}
    assert interview["male"] == {"category": "male", "count": None, "suppressed": True}
    future = (await ok(ats.client.get(f"/v1/reports/eeo?job_id={job['id']}&from=2999-01-01T00:00:00Z"))).json()
    assert future["applications"] == 0


async def _ats(talent_stack, name: str, **settings: object) -> AsyncIterator[Ats]:
    """An ATS with a clock of its own on a database of its own (a module's, beside the harness's)."""
    with talent_stack.database("ats-service", name) as url:
        key = f"{name}-admin-" + uuid.uuid4().hex
        app = create_app(Settings.model_validate({"database_url": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                                                  "TALENT_ADMIN_API_KEY": key, **settings}))
        app.state.clock = clock = FakeClock(datetime.now(UTC))
        engine = create_async_engine(url)
        async with running_app(app, headers={"Authorization": f"Bearer {key}"}) as client:
            yield Ats(client, engine, clock)
        await engine.dispose()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def retained(talent_stack) -> AsyncIterator[Ats]:
    async for ats in _ats(talent_stack, "ats_retention", retention_enabled=False):
        yield ats


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def tamper(talent_stack) -> AsyncIterator[Ats]:
    async for ats in _ats(talent_stack, "ats_tamper_personal", retention_enabled=False):
        yield ats


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def scheduled(talent_stack) -> AsyncIterator[Ats]:
    async for ats in _ats(talent_stack, "ats_retention_scheduled", retention_interval_seconds=0.2):
        yield ats


async def reject(client: httpx.AsyncClient, app: dict, notes: str = "not a fit") -> dict:
    reason = next(r["id"] for r in (await ok(client.get("/v1/reject-reasons"))).json() if r["kind"] == "we_rejected")
    return (await ok(client.post(f"/v1/applications/{app['id']}/reject", json={"reject_reason_id": reason, "notes": notes}))).json()


async def published(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar() == 0


async def test_an_erased_candidate_leaves_no_personal_data_in_any_table_and_the_audit_trail_still_verifies(ats):
    job = await job_in(ats.client)
    who = person()
    app = (await ok(ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate": who, "referrer": who["last_name"]}), 201)).json()
    cid = app["candidate_id"]
    r = await ok(ats.client.get(f"/v1/candidates/{cid}"))
    await ok(ats.client.patch(f"/v1/candidates/{cid}", json={"headline": f"Lead {who['first_name']}"}, headers={"If-Match": r.headers["etag"]}))
    await ok(ats.client.post(f"/v1/candidates/{cid}/notes", json={"body": f"Call {who['first_name']} on {who['phones'][0]}"}), 201)
    await reject(ats.client, app, notes=f"{who['last_name']} asked for too much")
    needles = [who["emails"][0], who["first_name"], who["last_name"], who["phones"][0]]
    async with ats.engine.connect() as conn:
        personal_before = (await conn.execute(text("SELECT count(*) FROM audit_personal_values WHERE subject_id = :s"), {"s": cid})).scalar()
    assert personal_before >= 3 and await personal_data_hits(ats.engine, needles)
    assert await wait_until(lambda: published(ats.engine), timeout=20, interval=0.1, message="the events published")
    created_event = (await ats.events_for(cid, until=lambda rs: len(rs) >= 1))[0]
    assert (await ats.opened(created_event))["candidate"]["emails"] == who["emails"]
    await ok(ats.client.post(f"/v1/candidates/{cid}/erase", json={"reason": "gdpr_request"}, headers={"Idempotency-Key": uuid.uuid4().hex}))
    assert await personal_data_hits(ats.engine, needles) == []
    assert (await verify(ats.client))["ok"] is True
    # the key is shredded: what is on Kafka stays unreadable for good
    is_problem(await ats.client.get(f"/v1/event-keys/{cid}"), 404)
    other = (await ats.create()).json()["id"]  # a consumer's batch lookup: the live person's key, the erased missing
    looked = (await ok(ats.client.post("/v1/event-keys/lookup", json={"subject_ids": [cid, other, cid]}))).json()
    assert [k["subject_id"] for k in looked["keys"]] == [other] and looked["missing"] == [cid]
    assert looked["keys"][0]["key"] == (await ok(ats.client.get(f"/v1/event-keys/{other}"))).json()["key"]
    is_problem(await ats.client.post("/v1/event-keys/lookup", json={"subject_ids": []}), 422)
    gone = await ats.opened(created_event)
    assert gone["candidate"]["emails"] == [] and gone["candidate"]["first_name"] is None
    entries = (await ok(ats.client.get(f"/v1/audit-events?target_id={cid}"))).json()["data"]
    created = next(e for e in entries if e["action"] == "candidate.created")
    assert created["personal_data_erased"] is True and "first_name" not in created["changes"]
    assert created["changes"]["source"] == {"before": None, "after": "referral"}


async def test_the_audit_trail_shows_personal_values_until_erasure_and_detects_their_alteration(tamper):
    c = tamper.client
    cand = (await ok(c.post("/v1/candidates", json=person()), 201)).json()
    [entry] = (await ok(c.get(f"/v1/audit-events?target_id={cand['id']}"))).json()["data"]
    assert entry["changes"]["first_name"]["after"] == cand["first_name"] and entry["personal_data_erased"] is False
    assert (await verify(c))["ok"] is True
    async with tamper.engine.begin() as conn:
        await conn.execute(text("UPDATE audit_personal_values SET values = jsonb_set(values, '{first_name,after}', '\"Eve\"') "
                                "WHERE entry_id = :id"), {"id": entry["id"]})
    result = await verify(c)
    assert result["ok"] is False and result["first_broken_id"] == entry["id"] and "personal values" in result["reason"]


async def test_a_legal_hold_blocks_erasure_and_retention_with_a_409_that_says_why(retained):
    c = retained.client
    job = await job_in(c, location=f"Office {uuid.uuid4().hex[:6]}")
    await ok(c.post("/v1/retention-policies", json={"name": "held office", "office": job["location"], "keep_days": 30}), 201)
    app = await reject(c, await applicant(c, job))
    hold = (await ok(c.post("/v1/legal-holds", json={"job_id": job["id"], "reason": "EEOC charge 845-2026"}), 201)).json()
    problem = is_problem(await c.post(f"/v1/candidates/{app['candidate_id']}/erase", json={}), 409)
    assert "EEOC charge 845-2026" in problem["detail"] and problem["legal_holds"] == [hold["id"]]
    retained.clock.advance(days=31)
    due = (await ok(c.get("/v1/retention/preview"))).json()["data"]
    mine = next(d for d in due if d["candidate_id"] == app["candidate_id"])
    assert mine["held_by"] == [{"legal_hold_id": hold["id"], "reason": "EEOC charge 845-2026"}]
    run = (await ok(c.post("/v1/retention/runs"), 201)).json()
    assert run["held"] >= 1 and (await ok(c.get(f"/v1/candidates/{app['candidate_id']}"))).json()["erased_at"] is None
    await ok(c.post(f"/v1/legal-holds/{hold['id']}/release"))
    await ok(c.post("/v1/retention/runs"), 201)
    assert (await ok(c.get(f"/v1/candidates/{app['candidate_id']}"))).json()["erased_at"] is not None
    is_problem(await c.post("/v1/legal-holds", json={"reason": "nothing held"}), 422)


async def test_a_federal_contractor_policy_keeps_records_at_least_two_years(retained):
    problem = is_problem(await retained.client.post("/v1/retention-policies", json={
        "name": "US gov", "jurisdiction": "US", "keep_days": 365, "federal_contractor": True}), 422)
    assert problem["errors"][0]["field"] == "keep_days"


async def test_retention_anonymises_who_is_due_and_every_report_gives_the_same_numbers_after(retained):
    c = retained.client
    job = await job_in(c, jurisdiction="DE", location=f"Berlin {uuid.uuid4().hex[:6]}")
    await ok(c.post("/v1/retention-policies", json={"name": "Berlin", "office": job["location"], "keep_days": 180,
                                                    "hires": "minimal_record", "hire_minimal_after_days": 0}), 201)
    rejected, hired = [], None
    for i, source in enumerate(("linkedin", "linkedin", "referral", "career_site")):
        app = await applicant(c, job, source)
        app = await move(c, app, job, *["Screen", "Interview"][: i % 3])
        if i == 3:
            hired = (await ok(c.post(f"/v1/applications/{app['id']}/hire", json={"override": True, "override_reason": "exec"}))).json()
        else:
            rejected.append(await reject(c, app))
    reports = [f"/v1/reports/funnel?job_id={job['id']}", f"/v1/reports/time-to-hire?job_id={job['id']}",
               f"/v1/reports/sources?job_id={job['id']}", f"/v1/reports/time-to-fill?job_id={job['id']}"]
    before = [(await ok(c.get(u))).json() for u in reports]
    assert before[2]["sources"] == [{"source": "career_site", "applications": 1, "hires": 1},
                                    {"source": "linkedin", "applications": 2, "hires": 0},
                                    {"source": "referral", "applications": 1, "hires": 0}]
    ids = {a["candidate_id"] for a in rejected}
    preview = {d["candidate_id"]: d for d in (await ok(c.get("/v1/retention/preview"))).json()["data"]}
    # a hire waiting for its HRIS hand-off is kept whole (the hand-off's retry needs the employee's details)
    assert hired["hris_status"] == "pending" and hired["candidate_id"] not in preview
    async with retained.engine.begin() as conn:  # the HRIS took the employee (no HRIS is configured here)
        await conn.execute(text("UPDATE applications SET hris_status = 'sent', hris_synced_at = now() WHERE id = :a"),
                           {"a": hired["id"]})
    preview = {d["candidate_id"]: d for d in (await ok(c.get("/v1/retention/preview"))).json()["data"]}
    assert not ids & preview.keys() and preview[hired["candidate_id"]]["action"] == "minimise"
    later = (await ok(c.get("/v1/retention/preview", params={"as_of": "2999-01-01T00:00:00Z"}))).json()["data"]
    assert ids <= {d["candidate_id"] for d in later if d["action"] == "anonymise"}
    retained.clock.advance(days=181)
    run = (await ok(c.post("/v1/retention/runs"), 201)).json()
    assert run["status"] == "finished" and run["anonymised"] >= 3 and run["minimised"] >= 1
    for cid in ids:
        gone = (await ok(c.get(f"/v1/candidates/{cid}"))).json()
        assert gone["erased_at"] and gone["first_name"] == "Erased" and gone["emails"] == []
    minimal = (await ok(c.get(f"/v1/candidates/{hired['candidate_id']}"))).json()
    assert minimal["erased_at"] is None and minimal["first_name"].startswith("Zephyrine") and minimal["emails"] == []
    assert [(await ok(c.get(u))).json() for u in reports] == before
    assert (await verify(c))["ok"] is True
    assert (await ok(c.post("/v1/retention/runs"), 201)).json()["anonymised"] == 0  # a second run finds nothing left


async def test_the_scheduled_job_anonymises_a_candidate_on_time_and_records_its_runs(scheduled):
    c = scheduled.client
    job = await job_in(c, location=f"Leeds {uuid.uuid4().hex[:6]}")
    await ok(c.post("/v1/retention-policies", json={"name": "Leeds", "office": job["location"], "keep_days": 10}), 201)
    app = await reject(c, await applicant(c, job))
    scheduled.clock.advance(days=9)
    assert await wait_until(lambda: _runs_after(c, scheduled.clock.now()), timeout=20, interval=0.1,
                            message="a scheduled run after now")
    assert (await ok(c.get(f"/v1/candidates/{app['candidate_id']}"))).json()["erased_at"] is None
    scheduled.clock.advance(days=2)

    async def erased() -> bool:
        return (await c.get(f"/v1/candidates/{app['candidate_id']}")).json()["erased_at"] is not None
    assert await wait_until(erased, timeout=20, interval=0.1, message="the candidate erased")

    async def recorded() -> bool:
        return any(r["trigger"] == "schedule" and r["anonymised"] == 1 for r in await _runs(c))
    assert await wait_until(recorded, timeout=20, interval=0.2, message="the scheduled run that anonymised them")


async def _runs(c: httpx.AsyncClient) -> list[dict]:
    """Every run, all pages (oldest first: the scheduler of a shared database has run more than a page's worth)."""
    runs, params = [], {"limit": 200}
    while True:
        page = (await ok(c.get("/v1/retention/runs", params=params))).json()
        runs += page["data"]
        if not page.get("next_cursor"):
            return runs
        params = {"limit": 200, "cursor": page["next_cursor"]}


async def _runs_after(c: httpx.AsyncClient, at: datetime) -> bool:
    return any(datetime.fromisoformat(r["as_of"]) >= at and r["status"] == "finished" for r in await _runs(c))


async def test_the_access_export_holds_everything_about_the_candidate_under_the_notes_policy(ats):
    job = await job_in(ats.client)
    who = person()
    app = (await ok(ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate": who}), 201)).json()
    cid = app["candidate_id"]
    await move(ats.client, app, job, "Screen")
    await ok(ats.client.post(f"/v1/candidates/{cid}/notes", json={"body": "Strong welder"}), 201)
    await ok(ats.client.post(f"/v1/candidates/{cid}/notes", json={"body": "Settlement talks", "visibility": "admin_only"}), 201)
    cv = b"Ada Welder\nSkills: Python, TIG welding\nSenior Welder at Acme, 2019 - present\n"
    resume = (await ok(ats.client.post(f"/v1/candidates/{cid}/resumes", files={"file": ("ada.txt", cv, "text/plain")}), 201)).json()
    async with ats.engine.begin() as conn:  # what the careers form stores with an application sent through it
        await conn.execute(text("INSERT INTO career_applications (application_id, candidate_id, answers) "
                                "VALUES (:a, :c, CAST(:answers AS jsonb))"),
                           {"a": app["id"], "c": cid, "answers": json.dumps({"q-relocate": "yes, to Leeds"})})
    check = (await ok(ats.client.post(f"/v1/applications/{app['id']}/background-checks", json={
        "package": "tasker_standard", "consent": {"given": True, "given_at": datetime.now(UTC).isoformat(),
                                                  "text_version": "fcra-2026-01"}}), 201)).json()
    await ok(ats.client.post("/v1/eeo-responses", json={"application_id": app["id"], "gender": "female",
                                                        "race_ethnicity": "native_hawaiian_or_other_pacific_islander"}), 201)
    bundle = (await ok(ats.client.get(f"/v1/candidates/{cid}/export"))).json()
    assert bundle["system"] == "ats" and bundle["candidate"]["emails"] == who["emails"]
    [exported] = bundle["applications"]
    assert exported["id"] == app["id"] and [h["action"] for h in exported["stage_history"]] == ["applied", "moved"]
    assert [n["body"] for n in bundle["notes"]] == ["Strong welder"] and "admin_only" in bundle["notes_policy"]
    assert {"candidate.created", "application.created"} <= {e["action"] for e in bundle["audit_trail"]}
    assert "Settlement" not in str(bundle)
    assert "hris_status" in exported
    [exported_cv] = bundle["resumes"]
    assert {k: exported_cv[k] for k in ("id", "filename", "content_type", "size_bytes", "sha256")} == {
        "id": resume["id"], "filename": "ada.txt", "content_type": "text/plain", "size_bytes": len(cv), "sha256": resume["sha256"]}
    assert "TIG welding" in exported_cv["text"] and exported_cv["fields"] == resume["fields"] and exported_cv["uploaded_at"]
    assert (await ok(ats.client.get(exported_cv["download"]))).content == cv  # the file itself: at its download path
    assert [f["answers"] for f in bundle["careers_form"]] == [{"q-relocate": "yes, to Leeds"}]
    [exported_check] = bundle["background_checks"]
    assert exported_check["id"] == check["id"] and exported_check["status"] == "requested"
    first = exported_check["status_history"][0]
    assert first["action"] == "background_check.requested" and first["changes"]["status"]["after"] == "requested"
    assert "native_hawaiian" not in json.dumps(bundle) and "eeo" not in json.dumps(list(bundle))  # kept under ats:eeo
    reader = (await ok(ats.client.post("/v1/api-keys", json={"name": f"r-{uuid.uuid4().hex[:6]}", "scopes": ["crm:read"]}), 201)).json()
    is_problem(await ats.anon.get(f"/v1/candidates/{cid}/export", headers=ats.auth(reader["key"])), 403)
    is_problem(await ats.client.get(f"/v1/candidates/{uuid.uuid4()}/export"), 404)
