"""Jobs, their stages, the public job board, applications and their pipeline actions over HTTP: the real app over
ASGI on a real, migrated PostgreSQL (the `ats` fixture), events checked in the outbox.

Every test makes its own jobs, candidates and reject reasons, so tests do not depend on each other's data."""
from __future__ import annotations

import asyncio
import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ats.db import platform
from sqlalchemy import select
from talent_dev.testing import PROBLEM_JSON, is_problem, problem_fields

DEFAULT_PIPELINE = [("Applied", "applied"), ("Screen", "screen"), ("Interview", "interview"),
                    ("Final interview", "interview"), ("Offer", "offer"), ("Hired", "hired")]


# --------------------------------------------------------------------------------------------------- helpers
def title() -> str:
    return f"Engineer {uuid.uuid4().hex[:8]}"


async def draft_job(ats, **extra: Any) -> dict:
    r = await ats.client.post("/v1/jobs", json={"title": title(), **extra})
    assert r.status_code == 201, r.text
    return r.json()


async def open_job(ats, **extra: Any) -> dict:
    job = await draft_job(ats, **extra)
    r = await ats.client.post(f"/v1/jobs/{job['id']}/open")
    assert r.status_code == 200, r.text
    return r.json()


def stage(job: dict, name: str) -> str:
    """The id of the job's stage called `name`."""
    return next(s["id"] for s in job["stages"] if s["name"] == name)


async def new_candidate(ats, **overrides: Any) -> dict:
    return (await ats.create(emails=[ats.new_email()], **overrides)).json()


async def apply(ats, job: dict, candidate_id: str | None = None) -> dict:
    body: dict[str, Any] = {"job_id": job["id"]}
    if candidate_id:
        body["candidate_id"] = candidate_id
    else:
        body["candidate"] = ats.body(emails=[ats.new_email()])
    r = await ats.client.post("/v1/applications", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def move(ats, app: dict | str, from_id: str, to_id: str, **headers: str):
    app_id = app if isinstance(app, str) else app["id"]
    return await ats.client.post(f"/v1/applications/{app_id}/move", json={"from_stage_id": from_id, "to_stage_id": to_id},
                                 headers=headers)


async def moved(ats, app: dict, from_id: str, to_id: str) -> dict:
    r = await move(ats, app, from_id, to_id)
    assert r.status_code == 200, r.text
    return r.json()


async def history(ats, app_id: str) -> list[dict]:
    r = await ats.client.get(f"/v1/applications/{app_id}/stage-history")
    assert r.status_code == 200, r.text
    return r.json()


async def reason(ats, kind: str) -> dict:
    r = await ats.client.post("/v1/reject-reasons", json={"name": f"{kind} {uuid.uuid4().hex[:8]}", "kind": kind})
    assert r.status_code == 201, r.text
    return r.json()


async def outbox(ats, aggregate_id: str) -> list[dict]:
    """(event_type, data) of the aggregate's staged events, in publish order."""
    async with ats.engine.connect() as conn:
        rows = await conn.execute(select(platform.outbox.c.event_type, platform.outbox.c.envelope).where(
            platform.outbox.c.aggregate_id == aggregate_id).order_by(platform.outbox.c.seq))
        return [{"type": t, "data": env["data"], "sequence": env.get("sequence")} for t, env in rows]


async def audit_actions(ats, target_type: str, target_id: str) -> list[dict]:
    r = await ats.client.get("/v1/audit-events", params={"target_type": target_type, "target_id": target_id})
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def follow(ats, url: str) -> list[str]:
    """Ids over every page of a list, following `next`; checks page sizes."""
    ids: list[str] = []
    pages = 0
    while url:
        r = await ats.client.get(url)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["data"]) <= 2
        ids += [x["id"] for x in page["data"]]
        url = page["next"]
        pages += 1
        assert pages < 50
    return ids


# ------------------------------------------------------------------------------------------------------ jobs
async def test_a_new_job_is_a_draft_with_the_six_default_stages(ats):
    r = await ats.client.post("/v1/jobs", json={"title": "  Backend engineer  ", "department": "Platform",
                                                "location": "Berlin, Germany", "employment_type": "full_time",
                                                "openings": 2})
    assert r.status_code == 201, r.text
    job = r.json()
    assert r.headers["location"] == f"/v1/jobs/{job['id']}" and r.headers["etag"] == '"1"'
    assert job["status"] == "draft" and job["title"] == "Backend engineer" and job["openings"] == 2
    assert job["opened_at"] is None and job["closed_at"] is None and job["close_reason"] is None
    assert job["created_by"] == job["updated_by"] == "admin" and job["version"] == 1
    assert [(s["name"], s["kind"]) for s in job["stages"]] == DEFAULT_PIPELINE
    assert [s["position"] for s in job["stages"]] == list(range(6))
    got = await ats.client.get(f"/v1/jobs/{job['id']}")
    assert got.status_code == 200 and got.json() == job and got.headers["etag"] == '"1"'
    stages = await ats.client.get(f"/v1/jobs/{job['id']}/stages")
    assert stages.status_code == 200 and stages.headers["etag"] == '"1"'
    assert [(s["name"], s["kind"], s["position"]) for s in stages.json()] == [
        (n, k, i) for i, (n, k) in enumerate(DEFAULT_PIPELINE)]
    assert [e["type"] for e in await outbox(ats, job["id"])] == ["ats.job.created.v1"]
    assert is_problem(await ats.client.get(f"/v1/jobs/{uuid.uuid4()}"), 404)


async def test_open_close_reopen_and_409_from_the_wrong_state(ats):
    job = await draft_job(ats)
    jid = job["id"]
    assert is_problem(await ats.client.post(f"/v1/jobs/{jid}/close", json={"reason": "filled"}), 409)
    assert is_problem(await ats.client.post(f"/v1/jobs/{jid}/reopen"), 409)

    r = await ats.client.post(f"/v1/jobs/{jid}/open")
    assert r.status_code == 200, r.text
    opened = r.json()
    assert opened["status"] == "open" and opened["opened_at"] and opened["version"] == 2
    assert r.headers["etag"] == '"2"'
    assert is_problem(await ats.client.post(f"/v1/jobs/{jid}/open"), 409)
    assert is_problem(await ats.client.post(f"/v1/jobs/{jid}/reopen"), 409)

    assert "reason" in problem_fields(is_problem(await ats.client.post(f"/v1/jobs/{jid}/close", json={}), 422))
    assert "reason" in problem_fields(is_problem(await ats.client.post(f"/v1/jobs/{jid}/close", json={"reason": "  "}), 422))
    r = await ats.client.post(f"/v1/jobs/{jid}/close", json={"reason": "filled"})
    assert r.status_code == 200, r.text
    closed = r.json()
    assert closed["status"] == "closed" and closed["close_reason"] == "filled" and closed["closed_at"]
    assert is_problem(await ats.client.post(f"/v1/jobs/{jid}/close", json={"reason": "again"}), 409)

    r = await ats.client.post(f"/v1/jobs/{jid}/reopen")
    assert r.status_code == 200, r.text
    reopened = r.json()
    assert reopened["status"] == "open" and reopened["close_reason"] is None and reopened["closed_at"] is None
    assert reopened["opened_at"] == opened["opened_at"]  # time to fill counts from the first opening
    assert reopened["version"] == 4

    events = await outbox(ats, jid)
    assert [e["type"] for e in events] == ["ats.job.created.v1", "ats.job.opened.v1", "ats.job.closed.v1",
                                           "ats.job.opened.v1"]
    assert [e["data"].get("reopened") for e in events if e["type"] == "ats.job.opened.v1"] == [False, True]
    assert events[2]["data"]["reason"] == "filled"
    assert [e["sequence"] for e in events] == [1, 2, 3, 4]
    assert is_problem(await ats.client.post(f"/v1/jobs/{uuid.uuid4()}/open"), 404)


async def test_patching_a_job_needs_a_current_if_match(ats):
    job = await draft_job(ats)
    url = f"/v1/jobs/{job['id']}"
    is_problem(await ats.client.patch(url, json={"title": "New title"}), 428)
    stale = await ats.client.patch(url, json={"title": "New title"}, headers={"If-Match": '"7"'})
    assert is_problem(stale, 412) and stale.headers["etag"] == '"1"'
    r = await ats.client.patch(url, json={"title": "New title", "openings": 3}, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["title"] == "New title" and r.json()["openings"] == 3 and r.json()["version"] == 2
    assert r.headers["etag"] == '"2"'
    # the old ETag is now stale: a lost update is refused and changes nothing
    is_problem(await ats.client.patch(url, json={"title": "Lost update"}, headers={"If-Match": '"1"'}), 412)
    assert (await ats.client.get(url)).json()["title"] == "New title"
    # status only moves through the actions
    assert "status" in problem_fields(is_problem(await ats.client.patch(url, json={"status": "open"}, headers={"If-Match": '"2"'}), 422))
    # a PATCH that changes nothing keeps the version
    same = await ats.client.patch(url, json={"title": "New title"}, headers={"If-Match": '"2"'})
    assert same.status_code == 200 and same.json()["version"] == 2
    events = await outbox(ats, job["id"])
    assert [e["type"] for e in events] == ["ats.job.created.v1", "ats.job.updated.v1"]
    assert set(events[1]["data"]["changes"]) == {"title", "openings"}


def in_order(job: dict) -> list[dict]:
    """The job's stages sorted by position (the response's own order is checked separately)."""
    return sorted(job["stages"], key=lambda s: s["position"])


async def test_stages_add_at_a_position_rename_with_the_job_etag_reorder_and_remove_unused(ats):
    job = await draft_job(ats)
    jid = job["id"]
    r = await ats.client.post(f"/v1/jobs/{jid}/stages", json={"name": "Tech screen", "kind": "screen", "position": 2})
    assert r.status_code in (200, 201), r.text  # 201 is asserted in its own test
    job = r.json()
    assert [s["name"] for s in in_order(job)] == ["Applied", "Screen", "Tech screen", "Interview", "Final interview",
                                                  "Offer", "Hired"]
    assert sorted(s["position"] for s in job["stages"]) == list(range(7)) and job["version"] == 2
    # without a position: before the first stage of a later kind
    r = await ats.client.post(f"/v1/jobs/{jid}/stages", json={"name": "Onsite", "kind": "interview"})
    assert r.status_code in (200, 201), r.text
    assert [s["name"] for s in in_order(r.json())] == ["Applied", "Screen", "Tech screen", "Interview", "Final interview",
                                                       "Onsite", "Offer", "Hired"]
    # a position past the end appends
    r = await ats.client.post(f"/v1/jobs/{jid}/stages", json={"name": "Onboarding", "kind": "hired", "position": 99})
    assert r.status_code in (200, 201), r.text
    assert [(s["name"], s["position"]) for s in in_order(r.json())][-2:] == [("Hired", 7), ("Onboarding", 8)]
    r = await ats.client.delete(f"/v1/jobs/{jid}/stages/{stage(r.json(), 'Onboarding')}")
    assert r.status_code == 200, r.text

    # rename: If-Match is the job's ETag (from the job or its stage list)
    listed = await ats.client.get(f"/v1/jobs/{jid}/stages")
    etag = listed.headers["etag"]
    assert etag == '"5"'
    onsite = stage(r.json(), "Onsite")
    is_problem(await ats.client.patch(f"/v1/jobs/{jid}/stages/{onsite}", json={"name": "On-site"}), 428)
    is_problem(await ats.client.patch(f"/v1/jobs/{jid}/stages/{onsite}", json={"name": "On-site"},
                                      headers={"If-Match": '"2"'}), 412)
    r = await ats.client.patch(f"/v1/jobs/{jid}/stages/{onsite}", json={"name": "On-site"}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    job = r.json()
    assert stage(job, "On-site") == onsite and job["version"] == 6 and r.headers["etag"] == '"6"'
    is_problem(await ats.client.patch(f"/v1/jobs/{jid}/stages/{uuid.uuid4()}", json={"name": "X"},
                                      headers={"If-Match": '"6"'}), 404)

    # reorder: a permutation of every stage id
    ids = [s["id"] for s in in_order(job)]
    new_order = [ids[0], ids[2], ids[1], *ids[3:]]
    r = await ats.client.post(f"/v1/jobs/{jid}/stages/reorder", json={"stage_ids": new_order})
    assert r.status_code == 200, r.text
    assert [s["id"] for s in in_order(r.json())] == new_order
    assert sorted(s["position"] for s in r.json()["stages"]) == list(range(len(ids)))
    for bad in (new_order[:-1], [*new_order, new_order[0]], [*new_order[:-1], str(uuid.uuid4())], [], new_order[:1] * len(ids)):
        p = is_problem(await ats.client.post(f"/v1/jobs/{jid}/stages/reorder", json={"stage_ids": bad}), 422)
        assert "stage_ids" in problem_fields(p)
    assert [s["id"] for s in (await ats.client.get(f"/v1/jobs/{jid}")).json()["stages"]] == new_order

    # remove an unused stage
    r = await ats.client.delete(f"/v1/jobs/{jid}/stages/{onsite}")
    assert r.status_code == 200, r.text
    job = r.json()
    assert onsite not in [s["id"] for s in job["stages"]]
    assert sorted(s["position"] for s in job["stages"]) == list(range(len(ids) - 1))
    assert [s["id"] for s in (await ats.client.get(f"/v1/jobs/{jid}")).json()["stages"]] == [i for i in new_order if i != onsite]
    is_problem(await ats.client.delete(f"/v1/jobs/{jid}/stages/{onsite}"), 404)
    events = await outbox(ats, jid)
    assert [e["type"] for e in events] == ["ats.job.created.v1"] + ["ats.job.updated.v1"] * 7
    assert [e["sequence"] for e in events] == list(range(1, 9))
    # the event snapshots carry the stages in pipeline order
    assert [s["name"] for s in events[1]["data"]["job"]["stages"]][:4] == ["Applied", "Screen", "Tech screen", "Interview"]


async def test_adding_a_stage_answers_201_as_documented(ats):
    job = await draft_job(ats)
    r = await ats.client.post(f"/v1/jobs/{job['id']}/stages", json={"name": "Phone screen", "kind": "screen"})
    assert r.status_code == 201, (r.status_code, "the route and its OpenAPI declare 201 Created")


async def test_stage_edits_answer_with_the_stages_in_pipeline_order(ats):
    """Every job representation lists its stages in pipeline order (GET does): so must the answers of the edits."""
    job = await draft_job(ats)
    r = await ats.client.post(f"/v1/jobs/{job['id']}/stages", json={"name": "Tech screen", "kind": "screen", "position": 2})
    assert [s["position"] for s in r.json()["stages"]] == list(range(7)), [(s["name"], s["position"]) for s in r.json()["stages"]]


async def test_reordering_answers_with_the_stages_in_the_new_order(ats):
    job = await draft_job(ats)
    ids = [s["id"] for s in job["stages"]]
    new_order = [*reversed(ids[:-1]), ids[-1]]  # everything but Hired reversed
    r = await ats.client.post(f"/v1/jobs/{job['id']}/stages/reorder", json={"stage_ids": new_order})
    assert r.status_code == 200, r.text
    assert [s["id"] for s in r.json()["stages"]] == new_order, [(s["name"], s["position"]) for s in r.json()["stages"]]


async def test_a_hired_stage_cannot_become_the_first_stage(ats):
    job = await draft_job(ats)
    ids = [s["id"] for s in job["stages"]]
    r = await ats.client.post(f"/v1/jobs/{job['id']}/stages/reorder", json={"stage_ids": list(reversed(ids))})
    assert is_problem(r, 422)["errors"][0]["field"] == "stage_ids"


async def test_a_stage_any_application_ever_entered_cannot_be_removed(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    await moved(ats, app, stage(job, "Applied"), stage(job, "Screen"))
    await moved(ats, app, stage(job, "Screen"), stage(job, "Applied"))
    # nobody is in Screen now, but an application was
    p = is_problem(await ats.client.delete(f"/v1/jobs/{job['id']}/stages/{stage(job, 'Screen')}"), 409)
    assert "stage" in p["detail"]
    is_problem(await ats.client.delete(f"/v1/jobs/{job['id']}/stages/{stage(job, 'Applied')}"), 409)
    # a never-used stage of the same job still goes
    r = await ats.client.delete(f"/v1/jobs/{job['id']}/stages/{stage(job, 'Final interview')}")
    assert r.status_code == 200, r.text
    assert [s["name"] for s in r.json()["stages"]] == ["Applied", "Screen", "Interview", "Offer", "Hired"]


async def test_duplicate_stage_names_are_409(ats):
    job = await draft_job(ats)
    jid = job["id"]
    is_problem(await ats.client.post(f"/v1/jobs/{jid}/stages", json={"name": "Screen", "kind": "screen"}), 409)
    is_problem(await ats.client.post(f"/v1/jobs/{jid}/stages", json={"name": " screen ", "kind": "interview"}), 409)
    r = await ats.client.patch(f"/v1/jobs/{jid}/stages/{stage(job, 'Interview')}", json={"name": "OFFER"},
                               headers={"If-Match": '"1"'})
    is_problem(r, 409)
    # renaming a stage to its own name is not a clash
    r = await ats.client.patch(f"/v1/jobs/{jid}/stages/{stage(job, 'Interview')}", json={"name": "Interview"},
                               headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["version"] == 1
    assert [s["name"] for s in (await ats.client.get(f"/v1/jobs/{jid}")).json()["stages"]] == [n for n, _ in DEFAULT_PIPELINE]


async def test_the_job_board_is_public_lists_only_open_jobs_as_schema_org_postings(ats):
    live = await open_job(ats, description="Build things.", location="Remote", employment_type="contract",
                          department="R&D", openings=3)
    draft = await draft_job(ats)
    closed = await open_job(ats)
    assert (await ats.client.post(f"/v1/jobs/{closed['id']}/close", json={"reason": "cancelled"})).status_code == 200

    r = await ats.anon.get("/v1/job-board/jobs")
    assert r.status_code == 200, r.text
    feed = {p["identifier"]: p for p in r.json()}
    assert live["id"] in feed and draft["id"] not in feed and closed["id"] not in feed
    job_statuses = {j["id"]: j["status"] for j in [live, draft, closed]}
    assert all(job_statuses.get(i, "open") == "open" for i in feed)
    posting = feed[live["id"]]
    assert posting["@context"] == "https://schema.org" and posting["@type"] == "JobPosting"
    assert posting["title"] == live["title"] and posting["description"] == "Build things."
    assert posting["datePosted"] == live["opened_at"][:10]
    assert posting["employmentType"] == "CONTRACTOR" and posting["industry"] == "R&D"
    assert posting["jobLocation"] == {"@type": "Place", "address": "Remote"}
    assert posting["totalJobOpenings"] == 3
    assert posting["url"].endswith(f"/v1/job-board/jobs/{live['id']}")

    one = await ats.anon.get(f"/v1/job-board/jobs/{live['id']}")
    assert one.status_code == 200 and one.json() == posting
    is_problem(await ats.anon.get(f"/v1/job-board/jobs/{draft['id']}"), 404)
    is_problem(await ats.anon.get(f"/v1/job-board/jobs/{closed['id']}"), 404)
    is_problem(await ats.anon.get(f"/v1/job-board/jobs/{uuid.uuid4()}"), 404)
    assert (await ats.client.post(f"/v1/jobs/{live['id']}/close", json={"reason": "filled"})).status_code == 200
    is_problem(await ats.anon.get(f"/v1/job-board/jobs/{live['id']}"), 404)
    assert live["id"] not in {p["identifier"] for p in (await ats.anon.get("/v1/job-board/jobs")).json()}
    # the rest of the API needs a key
    is_problem(await ats.anon.get("/v1/jobs"), 401)
    is_problem(await ats.anon.post("/v1/jobs", json={"title": "x"}), 401)


# ----------------------------------------------------------------------------------------------- applications
async def test_apply_an_existing_candidate_or_a_new_inline_one(ats):
    job = await open_job(ats)
    cand = await new_candidate(ats)
    r = await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate_id": cand["id"],
                                                        "source": "referral", "referrer": "Grace"})
    assert r.status_code == 201, r.text
    app = r.json()
    assert r.headers["location"] == f"/v1/applications/{app['id']}" and r.headers["etag"] == '"1"'
    assert app["candidate_id"] == cand["id"] and app["job_id"] == job["id"] and app["status"] == "active"
    assert app["stage"]["id"] == stage(job, "Applied") and app["stage"]["kind"] == "applied"
    assert (app["source"], app["referrer"], app["version"]) == ("referral", "Grace", 1)
    assert (await ats.client.get(r.headers["location"])).json() == app

    email = ats.new_email().upper()
    r = await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate": ats.body(emails=[email], first_name="Inline")})
    assert r.status_code == 201, r.text
    inline = r.json()
    created = await ats.client.get(f"/v1/candidates/{inline['candidate_id']}")
    assert created.status_code == 200
    assert created.json()["first_name"] == "Inline" and created.json()["emails"] == [email.lower()]
    assert [e["type"] for e in await outbox(ats, inline["candidate_id"])] == ["ats.candidate.created.v1"]
    assert [e["type"] for e in await outbox(ats, inline["id"])] == ["ats.application.created.v1"]
    assert [h["action"] for h in await history(ats, inline["id"])] == ["applied"]


async def test_a_second_application_to_the_same_job_is_409_pointing_at_the_first(ats):
    job = await open_job(ats)
    cand = await new_candidate(ats)
    first = await apply(ats, job, cand["id"])
    p = is_problem(await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate_id": cand["id"]}), 409)
    assert p["existing_application_id"] == first["id"]
    listed = (await ats.client.get("/v1/applications", params={"candidate_id": cand["id"]})).json()["data"]
    assert [a["id"] for a in listed] == [first["id"]]
    # still refused once the first one is rejected: one application per candidate and job
    rr = await reason(ats, "we_rejected")
    assert (await ats.client.post(f"/v1/applications/{first['id']}/reject", json={"reject_reason_id": rr["id"]})).status_code == 200
    p = is_problem(await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate_id": cand["id"]}), 409)
    assert p["existing_application_id"] == first["id"]


async def test_concurrent_applications_of_one_candidate_to_one_job_give_one_201_and_one_409(ats):
    job = await open_job(ats)
    for _ in range(6):  # a few rounds: the race window is small
        cand = await new_candidate(ats)
        body = {"job_id": job["id"], "candidate_id": cand["id"]}
        results = await asyncio.gather(*(ats.client.post("/v1/applications", json=body) for _ in range(2)))
        codes = sorted(r.status_code for r in results)
        assert codes == [201, 409], [(r.status_code, r.text[:200]) for r in results]
        winner = next(r for r in results if r.status_code == 201).json()["id"]
        loser = next(r for r in results if r.status_code == 409)
        assert is_problem(loser, 409)["existing_application_id"] == winner


async def test_applications_need_an_open_job(ats):
    cand = await new_candidate(ats)
    draft = await draft_job(ats)
    p = is_problem(await ats.client.post("/v1/applications", json={"job_id": draft["id"], "candidate_id": cand["id"]}), 409)
    assert "draft" in p["detail"]
    closed = await open_job(ats)
    await ats.client.post(f"/v1/jobs/{closed['id']}/close", json={"reason": "filled"})
    is_problem(await ats.client.post("/v1/applications", json={"job_id": closed["id"], "candidate_id": cand["id"]}), 409)
    # an inline candidate of a refused application is not created either
    email = ats.new_email()
    is_problem(await ats.client.post("/v1/applications", json={"job_id": closed["id"], "candidate": ats.body(emails=[email])}), 409)
    assert (await ats.client.get("/v1/candidates", params={"email": email})).json()["data"] == []
    assert (await ats.client.get("/v1/applications", params={"candidate_id": cand["id"]})).json()["data"] == []


async def test_an_unknown_candidate_is_422_naming_candidate_id(ats):
    job = await open_job(ats)
    p = is_problem(await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate_id": str(uuid.uuid4())}), 422)
    assert problem_fields(p) == {"candidate_id"}


@pytest.mark.parametrize("which", ["both", "neither"])
async def test_both_or_neither_of_candidate_id_and_candidate_is_422(ats, which):
    job = await open_job(ats)
    cand = await new_candidate(ats)
    body: dict[str, Any] = {"job_id": job["id"]}
    if which == "both":
        body |= {"candidate_id": cand["id"], "candidate": ats.body(emails=[ats.new_email()])}
    p = is_problem(await ats.client.post("/v1/applications", json=body), 422)
    assert p["errors"] and "candidate_id" in str(p["errors"])
    assert (await ats.client.get("/v1/applications", params={"job_id": job["id"]})).json()["data"] == []


# ------------------------------------------------------------------------------------------------- actions
async def test_move_is_409_from_a_stale_stage_or_into_hired_and_422_into_another_jobs_stage(ats):
    job, other = await open_job(ats), await open_job(ats)
    app = await apply(ats, job)
    applied, screen = stage(job, "Applied"), stage(job, "Screen")
    r = await move(ats, app, applied, screen)
    assert r.status_code == 200, r.text
    assert r.json()["stage"]["id"] == screen and r.json()["version"] == 2 and r.headers["etag"] == '"2"'

    p = is_problem(await move(ats, app, applied, stage(job, "Interview")), 409)
    assert p["current_stage_id"] == screen
    is_problem(await move(ats, app, screen, stage(job, "Hired")), 409)
    is_problem(await move(ats, app, screen, screen), 409)
    assert problem_fields(is_problem(await move(ats, app, screen, stage(other, "Interview")), 422)) == {"to_stage_id"}
    assert problem_fields(is_problem(await move(ats, app, screen, str(uuid.uuid4())), 422)) == {"to_stage_id"}
    is_problem(await move(ats, str(uuid.uuid4()), screen, applied), 404)
    # none of the refused moves changed anything
    now = (await ats.client.get(f"/v1/applications/{app['id']}")).json()
    assert now["stage"]["id"] == screen and now["version"] == 2
    # moving back is allowed
    back = await moved(ats, app, screen, applied)
    assert back["stage"]["id"] == applied and back["version"] == 3

    events = await outbox(ats, app["id"])
    assert [e["type"] for e in events] == ["ats.application.created.v1"] + ["ats.application.stage_changed.v1"] * 2
    change = events[1]["data"]
    assert (change["from_stage"]["kind"], change["to_stage"]["kind"]) == ("applied", "screen")
    assert (change["from_stage"]["id"], change["to_stage"]["id"]) == (applied, screen)
    assert [e["sequence"] for e in events] == [1, 2, 3]


async def test_reject_with_a_typed_reason_and_unreject(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    screen = stage(job, "Screen")
    await moved(ats, app, stage(job, "Applied"), screen)
    withdrew, rejected = await reason(ats, "they_withdrew"), await reason(ats, "we_rejected")
    reasons = {x["id"]: x for x in (await ats.client.get("/v1/reject-reasons")).json()}
    assert reasons[withdrew["id"]]["kind"] == "they_withdrew"
    is_problem(await ats.client.post("/v1/reject-reasons", json={"name": withdrew["name"], "kind": "we_rejected"}), 409)

    url = f"/v1/applications/{app['id']}"
    assert problem_fields(is_problem(await ats.client.post(f"{url}/reject", json={"reject_reason_id": str(uuid.uuid4())}), 422)) == {"reject_reason_id"}
    r = await ats.client.post(f"{url}/reject", json={"reject_reason_id": withdrew["id"], "notes": "took another job"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["status"] == "withdrawn" and a["reject_reason_id"] == withdrew["id"] and a["reject_notes"] == "took another job"
    assert a["rejected_at"] and a["stage"]["id"] == screen
    assert is_problem(await ats.client.post(f"{url}/reject", json={"reject_reason_id": rejected["id"]}), 409)["application_status"] == "withdrawn"
    is_problem(await move(ats, app, screen, stage(job, "Interview")), 409)
    is_problem(await ats.client.post(f"{url}/hire", json={"override": True, "override_reason": "x"}), 409)

    r = await ats.client.post(f"{url}/unreject")
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["status"] == "active" and a["reject_reason_id"] is None and a["rejected_at"] is None
    assert a["stage"]["id"] == screen
    is_problem(await ats.client.post(f"{url}/unreject"), 409)

    r = await ats.client.post(f"{url}/reject", json={"reject_reason_id": rejected["id"]})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    events = await outbox(ats, app["id"])
    assert [e["type"] for e in events][2:] == ["ats.application.rejected.v1", "ats.application.unrejected.v1",
                                               "ats.application.rejected.v1"]
    assert events[2]["data"]["reason"]["kind"] == "they_withdrew" and events[2]["data"]["stage"]["id"] == screen
    # rejection is not a stage change
    assert [h["action"] for h in await history(ats, app["id"])] == ["applied", "moved"]


async def test_hire_needs_an_offer_stage_or_an_audited_override(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    screen = stage(job, "Screen")
    await moved(ats, app, stage(job, "Applied"), screen)
    url = f"/v1/applications/{app['id']}"
    p = is_problem(await ats.client.post(f"{url}/hire", json={}), 409)
    assert p["current_stage_kind"] == "screen"
    is_problem(await ats.client.post(f"{url}/hire", json={"override": True}), 422)
    is_problem(await ats.client.post(f"{url}/hire", json={"override": True, "override_reason": ""}), 422)
    assert (await ats.client.get(url)).json()["status"] == "active"

    r = await ats.client.post(f"{url}/hire", json={"override": True, "override_reason": "CEO's call",
                                                   "start_date": "2031-01-15"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["status"] == "hired" and a["hire_override"] is True and a["hired_at"]
    assert a["stage"]["id"] == stage(job, "Hired") and a["start_date"] == "2031-01-15"
    is_problem(await ats.client.post(f"{url}/hire", json={"override": True, "override_reason": "again"}), 409)
    is_problem(await move(ats, app, stage(job, "Hired"), screen), 409)

    hired = [e for e in await audit_actions(ats, "application", app["id"]) if e["action"] == "application.hired"]
    assert len(hired) == 1
    assert hired[0]["changes"]["hire_override"] == {"before": False, "after": True, "reason": "CEO's call"}
    assert hired[0]["changes"]["stage"] == {"before": "Screen", "after": "Hired"}
    event = (await outbox(ats, app["id"]))[-1]
    assert event["type"] == "ats.application.hired.v1" and event["data"]["override"] is True
    assert event["data"]["from_stage"]["kind"] == "screen"


async def test_hire_from_the_offer_stage_needs_no_override_and_unhire_goes_back_there(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    offer = stage(job, "Offer")
    await moved(ats, app, stage(job, "Applied"), offer)
    url = f"/v1/applications/{app['id']}"
    r = await ats.client.post(f"{url}/hire", json={})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "hired" and r.json()["hire_override"] is False
    is_problem(await ats.client.post(f"{url}/unreject"), 409)

    r = await ats.client.post(f"{url}/unhire")
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["status"] == "active" and a["stage"]["id"] == offer and a["hired_at"] is None and a["start_date"] is None
    is_problem(await ats.client.post(f"{url}/unhire"), 409)
    assert [h["action"] for h in await history(ats, app["id"])] == ["applied", "moved", "hired", "unhired"]


async def test_unhire_returns_to_the_stage_the_hire_came_from(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    interview = stage(job, "Interview")
    await moved(ats, app, stage(job, "Applied"), interview)
    url = f"/v1/applications/{app['id']}"
    assert (await ats.client.post(f"{url}/hire", json={"override": True, "override_reason": "urgent"})).status_code == 200
    r = await ats.client.post(f"{url}/unhire")
    assert r.status_code == 200, r.text
    assert r.json()["stage"]["id"] == interview and r.json()["hire_override"] is False
    # and the application moves on normally from there
    assert (await moved(ats, app, interview, stage(job, "Offer")))["stage"]["kind"] == "offer"


async def test_transfer_to_another_open_jobs_first_stage(ats):
    job, target = await open_job(ats), await open_job(ats)
    cand = await new_candidate(ats)
    app = await apply(ats, job, cand["id"])
    await moved(ats, app, stage(job, "Applied"), stage(job, "Interview"))
    url = f"/v1/applications/{app['id']}"
    is_problem(await ats.client.post(f"{url}/transfer", json={"job_id": job["id"]}), 409)
    draft = await draft_job(ats)
    is_problem(await ats.client.post(f"{url}/transfer", json={"job_id": draft["id"]}), 409)

    r = await ats.client.post(f"{url}/transfer", json={"job_id": target["id"]})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["job_id"] == target["id"] and a["stage"]["id"] == stage(target, "Applied") and a["status"] == "active"
    hist = await history(ats, app["id"])
    assert [h["action"] for h in hist] == ["applied", "moved", "transferred"]
    assert hist[-1]["from_stage_id"] == stage(job, "Interview") and hist[-1]["job_id"] == target["id"]
    event = (await outbox(ats, app["id"]))[-1]
    assert event["type"] == "ats.application.transferred.v1"
    assert (event["data"]["from_job_id"], event["data"]["to_job_id"]) == (job["id"], target["id"])
    # moves now use the new job's stages
    is_problem(await move(ats, app, stage(target, "Applied"), stage(job, "Screen")), 422)
    await moved(ats, app, stage(target, "Applied"), stage(target, "Screen"))

    # the candidate can apply to the old job again; transferring into a job they applied to is 409
    again = await apply(ats, job, cand["id"])
    p = is_problem(await ats.client.post(f"/v1/applications/{again['id']}/transfer", json={"job_id": target["id"]}), 409)
    assert p["existing_application_id"] == app["id"]


async def test_stage_history_shows_every_stay_with_entered_exited_from_to_and_actor(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    applied, screen, interview = stage(job, "Applied"), stage(job, "Screen"), stage(job, "Interview")
    await moved(ats, app, applied, screen)
    await moved(ats, app, screen, interview)
    await moved(ats, app, interview, screen)
    hist = await history(ats, app["id"])
    assert [(h["action"], h["from_stage_id"], h["to_stage_id"], h["to_stage_name"]) for h in hist] == [
        ("applied", None, applied, "Applied"), ("moved", applied, screen, "Screen"),
        ("moved", screen, interview, "Interview"), ("moved", interview, screen, "Screen")]
    assert all(h["actor"] == "admin" and h["job_id"] == job["id"] for h in hist)
    for before, after in itertools.pairwise(hist):
        assert before["exited_at"] == after["entered_at"]
        assert before["entered_at"] <= before["exited_at"]
    assert hist[-1]["exited_at"] is None
    is_problem(await ats.client.get(f"/v1/applications/{uuid.uuid4()}/stage-history"), 404)


async def test_two_concurrent_moves_from_the_same_stage_give_one_200_and_one_409(ats):
    job = await open_job(ats)
    applied, screen, interview = stage(job, "Applied"), stage(job, "Screen"), stage(job, "Interview")
    for _ in range(5):  # a few rounds: the race must never let both through
        app = await apply(ats, job)
        results = await asyncio.gather(move(ats, app, applied, screen), move(ats, app, applied, interview))
        codes = sorted(r.status_code for r in results)
        assert codes == [200, 409], [(r.status_code, r.text) for r in results]
        winner = next(r for r in results if r.status_code == 200).json()
        loser = next(r for r in results if r.status_code == 409).json()
        assert loser["current_stage_id"] == winner["stage"]["id"]
        hist = await history(ats, app["id"])
        assert [h["action"] for h in hist] == ["applied", "moved"]
        assert hist[1]["to_stage_id"] == winner["stage"]["id"] and hist[1]["from_stage_id"] == applied
        assert winner["version"] == 2
        assert (await ats.client.get(f"/v1/applications/{app['id']}")).json()["stage"]["id"] == winner["stage"]["id"]
        assert [e["type"] for e in await outbox(ats, app["id"])] == ["ats.application.created.v1",
                                                                     "ats.application.stage_changed.v1"]


async def test_replaying_a_move_with_the_same_idempotency_key_returns_the_same_response_and_moves_once(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    applied, screen = stage(job, "Applied"), stage(job, "Screen")
    key = str(uuid.uuid4())
    first = await move(ats, app, applied, screen, **{"Idempotency-Key": key})
    again = await move(ats, app, applied, screen, **{"Idempotency-Key": key})
    assert first.status_code == again.status_code == 200, again.text
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    assert "idempotent-replayed" not in first.headers
    assert again.headers["etag"] == first.headers["etag"] == '"2"'
    assert [h["action"] for h in await history(ats, app["id"])] == ["applied", "moved"]
    # the same key with another body is refused
    p = is_problem(await move(ats, app, screen, stage(job, "Interview"), **{"Idempotency-Key": key}), 422)
    assert "Idempotency-Key" in problem_fields(p)
    # a refused action keeps no key: a retry of it runs again
    k2 = str(uuid.uuid4())
    is_problem(await move(ats, app, applied, stage(job, "Interview"), **{"Idempotency-Key": k2}), 409)
    is_problem(await move(ats, app, applied, stage(job, "Interview"), **{"Idempotency-Key": k2}), 409)
    assert [h["action"] for h in await history(ats, app["id"])] == ["applied", "moved"]


async def test_concurrent_requests_with_one_idempotency_key_move_once(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    key = {"Idempotency-Key": str(uuid.uuid4())}
    results = await asyncio.gather(*(move(ats, app, stage(job, "Applied"), stage(job, "Screen"), **key) for _ in range(3)))
    assert [r.status_code for r in results] == [200, 200, 200], [r.text for r in results]
    assert len({r.json()["version"] for r in results}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in results) == 2
    assert [h["action"] for h in await history(ats, app["id"])] == ["applied", "moved"]


async def test_an_invalid_body_does_not_burn_its_idempotency_key(ats):
    key = {"Idempotency-Key": str(uuid.uuid4())}
    bad = await ats.client.post("/v1/jobs", json={"title": ""}, headers=key)
    is_problem(bad, 422)
    good = await ats.client.post("/v1/jobs", json={"title": title()}, headers=key)
    assert good.status_code == 201, good.text


# ------------------------------------------------------------------------------------------------------ lists
async def test_job_and_application_lists_paginate_and_honour_updated_after(ats):
    since = (datetime.now(UTC) - timedelta(milliseconds=1)).isoformat()
    jobs = [await open_job(ats) for _ in range(3)]
    ids = await follow(ats, f"/v1/jobs?limit=2&updated_after={since.replace('+', '%2B')}")
    assert ids == [j["id"] for j in jobs]
    ids = await follow(ats, f"/v1/jobs?limit=2&status=open&updated_after={since.replace('+', '%2B')}")
    assert ids == [j["id"] for j in jobs]
    r = await ats.client.get("/v1/jobs", params={"limit": 2, "updated_after": since})
    assert r.json()["next_cursor"] and r.headers["link"].endswith('rel="next"')

    job = jobs[0]
    apps = [await apply(ats, job) for _ in range(5)]
    assert await follow(ats, f"/v1/applications?job_id={job['id']}&limit=2") == [a["id"] for a in apps]
    mid = datetime.now(UTC).isoformat()
    await asyncio.sleep(0.01)
    await moved(ats, apps[1], stage(job, "Applied"), stage(job, "Screen"))
    await moved(ats, apps[3], stage(job, "Applied"), stage(job, "Screen"))
    later = await ats.client.get("/v1/applications", params={"job_id": job["id"], "updated_after": mid})
    assert [a["id"] for a in later.json()["data"]] == [apps[1]["id"], apps[3]["id"]]
    assert await follow(ats, f"/v1/applications?job_id={job['id']}&limit=2&stage_id={stage(job, 'Screen')}") == [
        apps[1]["id"], apps[3]["id"]]
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await ats.client.get("/v1/jobs", params={"updated_after": future})).json()["data"] == []
    assert (await ats.client.get("/v1/applications", params={"updated_after": future})).json()["data"] == []
    # the cursor remembers its filters
    first = (await ats.client.get("/v1/applications", params={"job_id": job["id"], "limit": 2})).json()
    is_problem(await ats.client.get("/v1/applications", params={"job_id": jobs[1]["id"], "cursor": first["next_cursor"]}), 400)
    is_problem(await ats.client.get("/v1/jobs", params={"cursor": "not-a-cursor"}), 400)


# -------------------------------------------------------------------------------------------------- bad input
MALFORMED = [b'{"title": ', b"{'title': 'x'}", b'{"title": "x",}', b"\xff\xfe"]


async def _bad_input_targets(ats) -> list[tuple[str, str, dict[str, Any], dict[str, Any], str, dict[str, str]]]:
    """(method, url, valid body, body with a wrong type, the wrongly typed field, headers) per endpoint."""
    job = await open_job(ats)
    app = await apply(ats, job)
    applied, screen = stage(job, "Applied"), stage(job, "Screen")
    rr = await reason(ats, "we_rejected")
    other = await open_job(ats)
    etag = {"If-Match": '"2"'}
    return [
        ("POST", "/v1/jobs", {"title": "x"}, {"title": "x", "openings": "many"}, "openings", {}),
        ("PATCH", f"/v1/jobs/{job['id']}", {"title": "x"}, {"openings": [1]}, "openings", etag),
        ("POST", f"/v1/jobs/{job['id']}/close", {"reason": "x"}, {"reason": 5}, "reason", {}),
        ("POST", f"/v1/jobs/{job['id']}/stages", {"name": "x", "kind": "screen"}, {"name": "x", "kind": "phone"}, "kind", {}),
        ("PATCH", f"/v1/jobs/{job['id']}/stages/{screen}", {"name": "x"}, {"name": {"a": 1}}, "name", etag),
        ("POST", f"/v1/jobs/{job['id']}/stages/reorder", {"stage_ids": []}, {"stage_ids": ["nope"]}, "stage_ids.0", {}),
        ("POST", "/v1/applications", {"job_id": job["id"]}, {"job_id": "not-a-uuid", "candidate_id": str(uuid.uuid4())}, "job_id", {}),
        ("POST", f"/v1/applications/{app['id']}/move", {"from_stage_id": applied, "to_stage_id": screen},
         {"from_stage_id": applied, "to_stage_id": 42}, "to_stage_id", {}),
        ("POST", f"/v1/applications/{app['id']}/reject", {"reject_reason_id": rr["id"]},
         {"reject_reason_id": rr["id"], "notes": ["x"]}, "notes", {}),
        ("POST", f"/v1/applications/{app['id']}/hire", {}, {"override": "perhaps", "override_reason": "x"}, "override", {}),
        ("POST", f"/v1/applications/{app['id']}/hire", {}, {"start_date": "next tuesday"}, "start_date", {}),
        ("POST", f"/v1/applications/{app['id']}/transfer", {"job_id": other["id"]}, {"job_id": None}, "job_id", {}),
        ("POST", "/v1/reject-reasons", {"name": "x", "kind": "we_rejected"}, {"name": "x", "kind": "maybe"}, "kind", {}),
    ]


async def test_bad_input_on_every_endpoint_family_is_400_or_422_naming_the_field_never_500(ats):
    targets = await _bad_input_targets(ats)
    for method, url, valid, wrong, field, headers in targets:
        where = f"{method} {url}"
        for raw in MALFORMED:
            r = await ats.client.request(method, url, content=raw, headers={**headers, "Content-Type": "application/json"})
            p = is_problem(r, 400)
            if raw != b"\xff\xfe":  # not even UTF-8: a plain 400
                assert "body" in problem_fields(p), (where, raw, p)
        # unknown fields
        r = await ats.client.request(method, url, json={**valid, "surprise": 1}, headers=headers)
        assert "surprise" in problem_fields(is_problem(r, 422)), (where, r.text)
        # wrong types
        r = await ats.client.request(method, url, json=wrong, headers=headers)
        assert field in problem_fields(is_problem(r, 422)), (where, r.text)
        # not an object at all
        for body in ([valid], "text", 12):
            r = await ats.client.request(method, url, json=body, headers=headers)
            assert r.status_code == 422, (where, body, r.status_code, r.text)
            assert r.headers["content-type"].startswith(PROBLEM_JSON)
    # nothing of the refused requests was kept: the open job still has its default stages and version
    job_url = targets[1][1]
    job = (await ats.client.get(job_url)).json()
    assert job["version"] == 2 and [s["name"] for s in job["stages"]] == [n for n, _ in DEFAULT_PIPELINE]


async def test_bad_path_and_query_parameters_are_422_naming_the_parameter(ats):
    for url, field in (("/v1/jobs/not-a-uuid", "job_id"), ("/v1/applications/123", "application_id"),
                       ("/v1/applications/abc/stage-history", "application_id"),
                       ("/v1/jobs?limit=0", "limit"), ("/v1/jobs?limit=100000", "limit"),
                       ("/v1/jobs?status=paused", "status"), ("/v1/jobs?updated_after=yesterday", "updated_after"),
                       ("/v1/applications?job_id=x", "job_id"), ("/v1/applications?status=sleeping", "status"),
                       ("/v1/applications?updated_after=2026-13-45", "updated_after")):
        assert field in problem_fields(is_problem(await ats.client.get(url), 422)), url
    for url in ("/v1/jobs/not-a-uuid/open", "/v1/applications/not-a-uuid/unhire", "/v1/applications/x/unreject"):
        assert is_problem(await ats.client.post(url), 422)
    r = await ats.client.post("/v1/jobs", json={"title": "x", "openings": 0})
    assert "openings" in problem_fields(is_problem(r, 422))
    r = await ats.client.post("/v1/jobs", json={"title": "   "})
    assert "title" in problem_fields(is_problem(r, 422))
    r = await ats.client.post("/v1/jobs", json={"title": "x" * 201})
    assert "title" in problem_fields(is_problem(r, 422))
    r = await ats.client.post("/v1/jobs", json={"title": "x", "employment_type": "FULL_TIME"})
    assert "employment_type" in problem_fields(is_problem(r, 422))
    r = await ats.client.post(f"/v1/jobs/{uuid.uuid4()}/stages", json={"name": "x", "kind": "screen", "position": -1})
    assert "position" in problem_fields(is_problem(r, 422))


async def test_writes_need_the_write_scope(ats):
    r = await ats.client.post("/v1/api-keys", json={"name": f"ro-{uuid.uuid4().hex[:8]}", "scopes": ["ats:read"]})
    assert r.status_code == 201, r.text
    ro = ats.auth(r.json()["key"])
    job = await open_job(ats)
    assert (await ats.anon.get(f"/v1/jobs/{job['id']}", headers=ro)).status_code == 200
    is_problem(await ats.anon.post("/v1/jobs", json={"title": "x"}, headers=ro), 403)
    is_problem(await ats.anon.post(f"/v1/jobs/{job['id']}/close", json={"reason": "x"}, headers=ro), 403)
    is_problem(await ats.anon.post("/v1/applications", json={"job_id": job["id"], "candidate": ats.body()}, headers=ro), 403)


async def test_a_transfer_racing_a_new_application_to_the_target_job_is_409_not_500(ats):
    """Transfer checks "already applied there?" before it writes: a concurrent application of the same candidate to
    the target job must end as a clean 409, never as a unique-constraint 500."""
    source, target = await open_job(ats), await open_job(ats)
    for _ in range(6):
        cand = await new_candidate(ats)
        app = await apply(ats, source, cand["id"])
        results = await asyncio.gather(
            ats.client.post(f"/v1/applications/{app['id']}/transfer", json={"job_id": target["id"]}),
            ats.client.post("/v1/applications", json={"job_id": target["id"], "candidate_id": cand["id"]}))
        codes = [r.status_code for r in results]
        assert sorted(codes) in ([200, 409], [201, 409]), [(r.status_code, r.text[:200]) for r in results]
        in_target = (await ats.client.get("/v1/applications", params={"candidate_id": cand["id"], "job_id": target["id"]})).json()["data"]
        assert len(in_target) == 1
