"""Interviews, scorecards, offers and candidate notes end to end: real PostgreSQL (the exclusion constraint does the
double-booking work), the real app over ASGI, events checked in the outbox and on Kafka.

Every test makes its own job, candidates and interviewers, so tests do not depend on each other's data."""
from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from ats.db import platform
from sqlalchemy import select
from talent_dev.testing import is_problem, problem_fields


# --------------------------------------------------------------------------------------------------- helpers
def person(tag: str = "iv") -> str:
    return f"{tag}-{uuid.uuid4().hex[:10]}@example.com"


def at(hours: float, base: datetime | None = None) -> str:
    """An ISO time `hours` after a fixed future base (far enough ahead that nothing has ended)."""
    return ((base or BASE) + timedelta(hours=hours)).isoformat()


BASE = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


async def open_job(ats) -> dict:
    r = await ats.client.post("/v1/jobs", json={"title": f"Engineer {uuid.uuid4().hex[:6]}"})
    assert r.status_code == 201, r.text
    job = r.json()
    assert (await ats.client.post(f"/v1/jobs/{job['id']}/open")).status_code == 200
    return job


def stage(job: dict, kind: str) -> str:
    return next(s["id"] for s in job["stages"] if s["kind"] == kind)


async def apply(ats, job: dict) -> dict:
    r = await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate": ats.body(emails=[ats.new_email()])})
    assert r.status_code == 201, r.text
    return r.json()


async def schedule(ats, app: dict, job: dict, interviewers: list[str], start: float, end: float, **extra: Any):
    body = {"application_id": app["id"], "stage_id": stage(job, "interview"), "starts_at": at(start), "ends_at": at(end),
            "timezone": "Europe/Berlin", "interviewers": interviewers, **extra}
    return await ats.client.post("/v1/interviews", json=body)


async def scheduled(ats, app: dict, job: dict, interviewers: list[str], start: float = 0, end: float = 1) -> dict:
    r = await schedule(ats, app, job, interviewers, start, end)
    assert r.status_code == 201, r.text
    return r.json()


async def event_types(ats, aggregate_id: str) -> list[str]:
    async with ats.engine.connect() as conn:
        rows = await conn.execute(select(platform.outbox.c.event_type).where(
            platform.outbox.c.aggregate_id == aggregate_id).order_by(platform.outbox.c.seq))
        return list(rows.scalars())


async def new_key(ats, *scopes: str) -> str:
    r = await ats.client.post("/v1/api-keys", json={"name": f"it-{uuid.uuid4().hex[:8]}", "scopes": list(scopes)})
    assert r.status_code == 201, r.text
    return r.json()["key"]


# ------------------------------------------------------------------------------------------------ interviews
async def test_scheduling_returns_201_with_location_etag_and_the_scheduled_event(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    who = person()
    r = await schedule(ats, app, job, [who.upper(), who, person()], 0, 1, location="Room 4",
                       video_link="https://meet.example.com/abc")
    assert r.status_code == 201, r.text
    iv = r.json()
    assert r.headers["location"] == f"/v1/interviews/{iv['id']}" and r.headers["etag"] == '"1"'
    assert iv["status"] == "scheduled" and iv["interviewers"][0] == who and len(iv["interviewers"]) == 2
    assert iv["video_link"] == "https://meet.example.com/abc" and iv["timezone"] == "Europe/Berlin"
    assert (await ats.client.get(r.headers["location"])).json() == iv
    assert await event_types(ats, iv["id"]) == ["ats.interview.scheduled.v1"]
    records = await ats.events_for(iv["id"], topic="ats.interviews", until=lambda rs: len(rs) >= 1)
    assert dict(records[0].headers)["ce_type"] == b"ats.interview.scheduled.v1"


async def test_an_idempotent_retry_replays_the_interview_instead_of_clashing_with_itself(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    body = {"application_id": app["id"], "stage_id": stage(job, "interview"), "starts_at": at(0), "ends_at": at(1),
            "timezone": "UTC", "interviewers": [person()]}
    key = {"Idempotency-Key": str(uuid.uuid4())}
    first = await ats.client.post("/v1/interviews", json=body, headers=key)
    again = await ats.client.post("/v1/interviews", json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"] and again.headers["idempotent-replayed"] == "true"


async def test_double_booking_an_interviewer_is_409_naming_the_clashing_interview(ats):
    job = await open_job(ats)
    a, b = await apply(ats, job), await apply(ats, job)
    busy = person()
    first = await scheduled(ats, a, job, [busy], 0, 1)
    r = await schedule(ats, b, job, [person(), busy.upper()], 0.5, 1.5)
    problem = is_problem(r, 409)
    assert problem["clashing_interview_id"] == first["id"] and problem["interviewer"] == busy
    # back to back is not a clash
    assert (await schedule(ats, b, job, [busy], 1, 2)).status_code == 201
    # nothing of the refused request was kept
    listed = (await ats.client.get("/v1/interviews", params={"application_id": b["id"]})).json()["data"]
    assert len(listed) == 1


async def test_concurrent_schedules_of_one_interviewer_at_one_time_give_exactly_one_201(ats):
    job = await open_job(ats)
    apps = [await apply(ats, job) for _ in range(6)]
    busy = person()
    results = await asyncio.gather(*(schedule(ats, app, job, [busy], 0, 1) for app in apps))
    codes = sorted(r.status_code for r in results)
    assert codes == [201, 409, 409, 409, 409, 409], [r.text for r in results]
    winner = next(r for r in results if r.status_code == 201).json()["id"]
    assert all(r.json()["clashing_interview_id"] == winner for r in results if r.status_code == 409)
    listed = (await ats.client.get("/v1/interviews", params={"interviewer": busy})).json()["data"]
    assert [i["id"] for i in listed] == [winner]


async def test_rescheduling_into_a_clash_is_409_and_cancelling_frees_the_slot(ats):
    job = await open_job(ats)
    a, b = await apply(ats, job), await apply(ats, job)
    busy = person()
    morning = await scheduled(ats, a, job, [busy], 0, 1)
    later = await scheduled(ats, b, job, [busy], 3, 4)
    r = await ats.client.post(f"/v1/interviews/{later['id']}/reschedule", json={"starts_at": at(0.5), "ends_at": at(1.5)})
    assert is_problem(r, 409)["clashing_interview_id"] == morning["id"]
    # moving within its own old slot is fine, and the event carries the previous times
    r = await ats.client.post(f"/v1/interviews/{later['id']}/reschedule",
                              json={"starts_at": at(3.5), "ends_at": at(4.5), "timezone": "America/New_York"})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.json()["timezone"] == "America/New_York"
    r = await ats.client.post(f"/v1/interviews/{morning['id']}/cancel", json={"reason": "interviewer ill"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "interviewer ill"
    r = await ats.client.post(f"/v1/interviews/{later['id']}/reschedule", json={"starts_at": at(0), "ends_at": at(1)})
    assert r.status_code == 200, r.text
    assert is_problem(await ats.client.post(f"/v1/interviews/{morning['id']}/cancel", json={"reason": "again"}), 409)[
        "interview_status"] == "cancelled"
    assert is_problem(await ats.client.post(f"/v1/interviews/{morning['id']}/reschedule",
                                            json={"starts_at": at(5), "ends_at": at(6)}), 409)
    assert await event_types(ats, later["id"]) == ["ats.interview.scheduled.v1", "ats.interview.rescheduled.v1",
                                                   "ats.interview.rescheduled.v1"]
    assert await event_types(ats, morning["id"]) == ["ats.interview.scheduled.v1", "ats.interview.cancelled.v1"]


async def test_an_ended_interview_without_feedback_reads_as_awaiting_feedback(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    past = datetime.now(UTC) - timedelta(days=2)
    r = await ats.client.post("/v1/interviews", json={
        "application_id": app["id"], "stage_id": stage(job, "interview"), "starts_at": past.isoformat(),
        "ends_at": (past + timedelta(hours=1)).isoformat(), "timezone": "UTC", "interviewers": [person()]})
    assert r.status_code == 201 and r.json()["status"] == "awaiting_feedback"
    waiting = (await ats.client.get("/v1/interviews", params={"application_id": app["id"], "status": "awaiting_feedback"})).json()
    assert [i["id"] for i in waiting["data"]] == [r.json()["id"]]
    assert (await ats.client.get("/v1/interviews", params={"application_id": app["id"], "status": "scheduled"})).json()["data"] == []


async def test_interview_lists_are_cursor_paginated_and_filter_by_updated_after(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    who = person()
    ids = [(await scheduled(ats, app, job, [who], i * 2, i * 2 + 1))["id"] for i in range(3)]
    seen, url = [], f"/v1/interviews?interviewer={who}&limit=2"
    while url:
        page = (await ats.client.get(url)).json()
        seen += [i["id"] for i in page["data"]]
        url = page["next"]
    assert seen == ids
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await ats.client.get("/v1/interviews", params={"interviewer": who, "updated_after": future})).json()["data"] == []


async def test_interviews_need_an_active_application_and_a_stage_of_its_job(ats):
    job, other = await open_job(ats), await open_job(ats)
    app = await apply(ats, job)
    r = await ats.client.post("/v1/interviews", json={
        "application_id": app["id"], "stage_id": stage(other, "interview"), "starts_at": at(0), "ends_at": at(1),
        "timezone": "UTC", "interviewers": [person()]})
    assert problem_fields(is_problem(r, 422)) == {"stage_id"}
    r = await ats.client.post("/v1/interviews", json={
        "application_id": str(uuid.uuid4()), "stage_id": stage(job, "interview"), "starts_at": at(0), "ends_at": at(1),
        "timezone": "UTC", "interviewers": [person()]})
    assert problem_fields(is_problem(r, 422)) == {"application_id"}
    reason = await ats.client.post("/v1/reject-reasons", json={"name": f"r-{uuid.uuid4().hex[:6]}", "kind": "we_rejected"})
    assert (await ats.client.post(f"/v1/applications/{app['id']}/reject", json={"reject_reason_id": reason.json()["id"]})).status_code == 200
    assert is_problem(await schedule(ats, app, job, [person()], 0, 1), 409)["application_status"] == "rejected"


async def test_bad_interview_input_is_a_422_naming_the_field(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    good = {"application_id": app["id"], "stage_id": stage(job, "interview"), "starts_at": at(0), "ends_at": at(1),
            "timezone": "Europe/Berlin", "interviewers": [person()]}
    cases = [({"timezone": "Mars/Olympus"}, "timezone"), ({"timezone": "europe/berlin"}, "timezone"),
             ({"ends_at": at(-1)}, "ends_at"), ({"ends_at": at(0)}, "ends_at"), ({"ends_at": at(12.5)}, "ends_at"),
             ({"interviewers": []}, "interviewers"), ({"interviewers": [person() for _ in range(21)]}, "interviewers"),
             ({"video_link": "not a url"}, "video_link"), ({"starts_at": "2031-03-03T09:00:00"}, "starts_at"),
             ({"stage_id": "nope"}, "stage_id"), ({"surprise": 1}, "surprise")]
    for change, field in cases:
        problem = is_problem(await ats.client.post("/v1/interviews", json={**good, **change}), 422)
        assert field in problem_fields(problem), (change, problem)
    iv = await scheduled(ats, app, job, [person()], 20, 21)
    r = await ats.client.post(f"/v1/interviews/{iv['id']}/reschedule", json={"starts_at": at(20), "ends_at": at(19)})
    assert problem_fields(is_problem(r, 422)) == {"ends_at"}
    r = await ats.client.post(f"/v1/interviews/{iv['id']}/reschedule", json={"starts_at": at(20), "ends_at": at(21), "timezone": "Nowhere"})
    assert problem_fields(is_problem(r, 422)) == {"timezone"}
    assert problem_fields(is_problem(await ats.client.post(f"/v1/interviews/{iv['id']}/cancel", json={}), 422)) == {"reason"}
    is_problem(await ats.client.get(f"/v1/interviews/{uuid.uuid4()}"), 404)


# ------------------------------------------------------------------------------------------------ scorecards
def as_(user: str) -> dict[str, str]:
    """Headers of the admin key acting for `user`."""
    return {"On-Behalf-Of": user}


def card(interview: dict, interviewer: str, rec: str = "yes") -> dict:
    return {"interview_id": interview["id"], "interviewer": interviewer, "ratings": {"communication": "yes", "coding": "strong_yes"},
            "overall_recommendation": rec, "notes": "Solid."}


async def test_the_interview_completes_when_every_interviewer_has_submitted(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    x, y = person("x"), person("y")
    iv = await scheduled(ats, app, job, [x, y])
    r = await ats.client.post("/v1/scorecards", json=card(iv, x.upper()), headers=as_(x.upper()))
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["interviewer"] == x and first["application_id"] == app["id"] and r.headers["etag"] == '"1"'
    assert (await ats.client.get(f"/v1/interviews/{iv['id']}")).json()["status"] == "awaiting_feedback"
    assert (await ats.client.post("/v1/scorecards", json=card(iv, y, "strong_no"), headers=as_(y))).status_code == 201
    done = (await ats.client.get(f"/v1/interviews/{iv['id']}")).json()
    assert done["status"] == "complete" and done["version"] == 3
    assert await event_types(ats, first["id"]) == ["ats.scorecard.submitted.v1"]
    listed = (await ats.client.get("/v1/scorecards", params={"interview_id": iv["id"]})).json()["data"]
    assert {c["interviewer"] for c in listed} == {x, y}
    assert is_problem(await ats.client.post(f"/v1/interviews/{iv['id']}/cancel", json={"reason": "late"}), 409)


async def test_one_scorecard_per_interviewer_and_interview_409_points_at_the_first(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    x = person("x")
    iv = await scheduled(ats, app, job, [x, person("y")])
    first = (await ats.client.post("/v1/scorecards", json=card(iv, x), headers=as_(x))).json()
    problem = is_problem(await ats.client.post("/v1/scorecards", json=card(iv, x, "no"), headers=as_(x)), 409)
    assert problem["existing_scorecard_id"] == first["id"] and problem["existing_scorecard"] == f"/v1/scorecards/{first['id']}"


async def test_scorecards_only_from_the_interviews_interviewers_and_not_on_cancelled_interviews(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    x = person("x")
    iv = await scheduled(ats, app, job, [x])
    stranger = person("stranger")
    r = await ats.client.post("/v1/scorecards", json=card(iv, stranger), headers=as_(stranger))
    assert is_problem(r, 403)["reason"] == "not_an_interviewer"
    await ats.client.post(f"/v1/interviews/{iv['id']}/cancel", json={"reason": "no show"})
    assert is_problem(await ats.client.post("/v1/scorecards", json=card(iv, x), headers=as_(x)), 409)["interview_status"] == "cancelled"
    bad = [({"overall_recommendation": "maybe"}, "overall_recommendation"), ({"ratings": {"coding": 5}}, "ratings.coding"),
           ({"interview_id": str(uuid.uuid4())}, "interview_id"), ({"notes": "x" * 10001}, "notes")]
    for change, field in bad:
        assert field in problem_fields(is_problem(await ats.client.post("/v1/scorecards", json={**card(iv, x), **change},
                                                                headers=as_(x)), 422)), change


async def test_a_scorecard_is_revised_with_if_match_and_audited(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    x = person("x")
    iv = await scheduled(ats, app, job, [x])
    sc = (await ats.client.post("/v1/scorecards", json=card(iv, x), headers=as_(x))).json()
    url = f"/v1/scorecards/{sc['id']}"
    is_problem(await ats.client.patch(url, json={"notes": "Better."}, headers=as_(x)), 428)
    is_problem(await ats.client.patch(url, json={"notes": "Better."}, headers={"If-Match": '"7"', **as_(x)}), 412)
    assert problem_fields(is_problem(await ats.client.patch(url, json={"overall_recommendation": None},
                                                    headers={"If-Match": '"1"', **as_(x)}), 422)) == {"overall_recommendation"}
    r = await ats.client.patch(url, json={"notes": "Better.", "overall_recommendation": "strong_yes"},
                               headers={"If-Match": '"1"', **as_(x)})
    assert r.status_code == 200 and r.headers["etag"] == '"2"'
    assert r.json()["notes"] == "Better." and r.json()["overall_recommendation"] == "strong_yes"
    trail = (await ats.client.get("/v1/audit-events", params={"target_type": "scorecard", "target_id": sc["id"]})).json()["data"]
    assert [e["action"] for e in trail] == ["scorecard.submitted", "scorecard.updated"]
    assert trail[1]["changes"]["notes"] == {"before": "Solid.", "after": "Better."}


# ---------------------------------------------------------------------------------------------------- offers
OFFER = {"start_date": "2031-05-01", "salary": "85000.00", "currency": "eur", "terms": "Stock options.", "approver": "vp@example.com"}


async def new_offer(ats, app: dict, **overrides: Any) -> dict:
    r = await ats.client.post("/v1/offers", json={"application_id": app["id"], **OFFER, **overrides})
    assert r.status_code == 201, r.text
    return r.json()


async def step(ats, offer: dict, action: str, body: dict | None = None):
    """One action; approving is done by the offer's (first) approver."""
    headers = as_(offer["approvers"][0]) if action == "approve" and offer["approvers"] else None
    return await ats.client.post(f"/v1/offers/{offer['id']}/{action}", json=body, headers=headers)


async def test_an_offer_goes_draft_to_accepted_through_every_allowed_transition(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    offer = await new_offer(ats, app)
    assert offer["status"] == "draft" and offer["offer_version"] == 1 and offer["currency"] == "EUR" and offer["salary"] == "85000.00"
    for action, status in (("request-approval", "approval_pending"), ("approve", "approved"), ("send", "sent"), ("accept", "accepted")):
        r = await step(ats, offer, action)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == status
    final = r.json()
    assert final["approved_by"] == "vp@example.com" and final["sent_at"] and final["resolved_at"] and final["version"] == 5
    assert await event_types(ats, offer["id"]) == ["ats.offer.created.v1", "ats.offer.approved.v1", "ats.offer.sent.v1",
                                                   "ats.offer.accepted.v1"]
    trail = (await ats.client.get("/v1/audit-events", params={"target_type": "offer", "target_id": offer["id"]})).json()["data"]
    assert [e["action"] for e in trail] == ["offer.created", "offer.approval_pending", "offer.approved", "offer.sent", "offer.accepted"]


async def test_a_sent_offer_can_be_declined_with_a_reason(ats):
    job = await open_job(ats)
    offer = await new_offer(ats, await apply(ats, job))
    for action in ("request-approval", "approve", "send"):
        assert (await step(ats, offer, action)).status_code == 200
    assert problem_fields(is_problem(await step(ats, offer, "decline", {}), 422)) == {"reason"}
    r = await step(ats, offer, "decline", {"reason": "accepted another offer"})
    assert r.status_code == 200 and r.json()["status"] == "declined" and r.json()["decline_reason"] == "accepted another offer"
    assert (await event_types(ats, offer["id"]))[-1] == "ats.offer.declined.v1"


async def test_forbidden_offer_transitions_are_409_naming_the_current_status(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    offer = await new_offer(ats, app)
    for action in ("approve", "send", "accept"):
        assert is_problem(await step(ats, offer, action), 409)["offer_status"] == "draft"
    assert is_problem(await step(ats, offer, "decline", {"reason": "x"}), 409)["offer_status"] == "draft"
    await step(ats, offer, "request-approval")
    assert is_problem(await step(ats, offer, "send"), 409)["offer_status"] == "approval_pending"
    assert is_problem(await step(ats, offer, "request-approval"), 409)["offer_status"] == "approval_pending"
    r = await ats.client.patch(f"/v1/offers/{offer['id']}", json={"salary": "90000"}, headers={"If-Match": '"2"'})
    assert is_problem(r, 409)["offer_status"] == "approval_pending"
    r = await step(ats, offer, "rescind", {"reason": "budget freeze"})
    assert r.status_code == 200 and r.json()["status"] == "rescinded"
    for action in ("rescind", "approve", "accept", "request-approval"):
        assert is_problem(await step(ats, offer, action), 409)["offer_status"] == "rescinded"
    assert await event_types(ats, offer["id"]) == ["ats.offer.created.v1"]  # asking approval and rescinding stay in the ATS


async def test_a_draft_offer_is_edited_with_if_match_and_needs_its_terms_before_approval(ats):
    job = await open_job(ats)
    offer = await new_offer(ats, await apply(ats, job), salary=None, currency=None, start_date=None)
    assert problem_fields(is_problem(await step(ats, offer, "request-approval"), 422)) == {"salary", "currency", "start_date"}
    url = f"/v1/offers/{offer['id']}"
    is_problem(await ats.client.patch(url, json={"salary": "1"}), 428)
    assert problem_fields(is_problem(await ats.client.patch(url, json={"salary": "70000"}, headers={"If-Match": '"1"'}), 422)) == {"currency"}
    r = await ats.client.patch(url, json={"salary": "70000", "currency": "USD", "start_date": "2031-06-01"}, headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.json()["salary"] == "70000.00" and r.headers["etag"] == '"2"'
    assert (await step(ats, offer, "request-approval")).json()["status"] == "approval_pending"


async def test_a_new_offer_rescinds_the_previous_one_still_in_play(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    first = await new_offer(ats, app)
    await step(ats, first, "request-approval")
    await step(ats, first, "approve")
    second = await new_offer(ats, app, salary="95000")
    assert second["offer_version"] == 2
    assert (await ats.client.get(f"/v1/offers/{first['id']}")).json()["status"] == "rescinded"
    third = await new_offer(ats, app)
    assert third["offer_version"] == 3
    listed = (await ats.client.get("/v1/offers", params={"application_id": app["id"]})).json()["data"]
    assert [(o["offer_version"], o["status"]) for o in listed] == [(1, "rescinded"), (2, "rescinded"), (3, "draft")]
    trail = (await ats.client.get("/v1/audit-events", params={"target_type": "offer", "target_id": first["id"]})).json()["data"]
    assert trail[-1]["action"] == "offer.rescinded" and trail[-1]["changes"]["reason"]["after"] == "superseded by offer version 2"


async def test_an_accepted_offer_makes_the_application_hireable_from_a_non_offer_stage(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    assert app["stage"]["kind"] == "applied"
    assert is_problem(await ats.client.post(f"/v1/applications/{app['id']}/hire", json={}), 409)
    offer = await new_offer(ats, app)
    for action in ("request-approval", "approve", "send"):
        await step(ats, offer, action)
    assert is_problem(await ats.client.post(f"/v1/applications/{app['id']}/hire", json={}), 409)  # sent is not accepted
    await step(ats, offer, "accept")
    r = await ats.client.post(f"/v1/applications/{app['id']}/hire", json={"start_date": "2031-05-01"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "hired" and r.json()["hire_override"] is False


async def test_bad_offer_input_is_a_422_naming_the_field_and_inactive_applications_get_no_offer(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    for change, field in (({"currency": "EURO"}, "currency"), ({"salary": "-1"}, "salary"), ({"salary": "abc"}, "salary"),
                          ({"start_date": "soon"}, "start_date"), ({"application_id": str(uuid.uuid4())}, "application_id"),
                          ({"salary": "1000", "currency": None}, "currency")):
        r = await ats.client.post("/v1/offers", json={"application_id": app["id"], **OFFER, **change})
        assert field in problem_fields(is_problem(r, 422)), (change, r.text)
    reason = await ats.client.post("/v1/reject-reasons", json={"name": f"r-{uuid.uuid4().hex[:6]}", "kind": "they_withdrew"})
    await ats.client.post(f"/v1/applications/{app['id']}/reject", json={"reject_reason_id": reason.json()["id"]})
    r = await ats.client.post("/v1/offers", json={"application_id": app["id"], **OFFER})
    assert is_problem(r, 409)["application_status"] == "withdrawn"
    is_problem(await ats.client.get(f"/v1/offers/{uuid.uuid4()}"), 404)


# ------------------------------------------------------------------------------------------ notes, activity
async def test_notes_are_shown_by_visibility(ats):
    job = await open_job(ats)
    cand = (await apply(ats, job))["candidate_id"]
    url = f"/v1/candidates/{cand}/notes"
    other = ats.auth(await new_key(ats, "ats:read", "ats:write"))
    third = ats.auth(await new_key(ats, "ats:read"))
    for who, text, vis in ((None, "public by admin", "public"), (None, "private by admin", "private"),
                           (None, "admin only", "admin_only"), (other, "private by key", "private"), (other, "public by key", "public")):
        r = await ats.client.post(url, json={"body": text, "visibility": vis}, headers=who)
        assert r.status_code == 201, r.text
    is_problem(await ats.client.post(url, json={"body": "sneaky", "visibility": "admin_only"}, headers=other), 403)

    async def bodies(headers):
        r = await ats.client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        return [n["body"] for n in r.json()["data"]]

    assert await bodies(None) == ["public by admin", "private by admin", "admin only", "public by key"]
    assert await bodies(other) == ["public by admin", "private by key", "public by key"]
    assert await bodies(third) == ["public by admin", "public by key"]
    feed = (await ats.client.get(f"/v1/candidates/{cand}/activity", headers=third)).json()["data"]
    assert [i["body"] for i in feed if i["kind"] == "note"] == ["public by key", "public by admin"]
    assert await event_types(ats, cand) == ["ats.candidate.created.v1"]  # notes never leave the ATS


async def test_bad_note_input_is_a_422_naming_the_field(ats):
    job = await open_job(ats)
    cand = (await apply(ats, job))["candidate_id"]
    url = f"/v1/candidates/{cand}/notes"
    for body, field in (({"body": ""}, "body"), ({"body": "   "}, "body"), ({"body": "x" * 10001}, "body"),
                        ({"body": "ok", "visibility": "secret"}, "visibility"), ({}, "body")):
        assert field in problem_fields(is_problem(await ats.client.post(url, json=body), 422)), body
    is_problem(await ats.client.post(f"/v1/candidates/{uuid.uuid4()}/notes", json={"body": "hi"}), 404)
    is_problem(await ats.client.get(f"/v1/candidates/{uuid.uuid4()}/activity"), 404)


async def test_the_activity_feed_merges_notes_and_audited_changes_newest_first_a_page_at_a_time(ats):
    job = await open_job(ats)
    app = await apply(ats, job)
    cand = app["candidate_id"]
    x = person("x")
    await ats.client.post(f"/v1/candidates/{cand}/notes", json={"body": "Met at a meetup."})
    iv = await scheduled(ats, app, job, [x])
    await ats.client.post("/v1/scorecards", json=card(iv, x), headers=as_(x))
    offer = await new_offer(ats, app)
    await ats.client.post(f"/v1/candidates/{cand}/notes", json={"body": "Keen to start soon.", "visibility": "private"})
    items, url = [], f"/v1/candidates/{cand}/activity?limit=3"
    while url:
        r = await ats.client.get(url)
        assert r.status_code == 200, r.text
        assert len(r.json()["data"]) <= 3
        items += r.json()["data"]
        url = r.json()["next"]
    assert [i["at"] for i in items] == sorted((i["at"] for i in items), reverse=True)
    got = [(i["kind"], i["action"]) for i in items]
    assert got == [("note", "note.created"), ("audit", "offer.created"), ("audit", "interview.complete"),
                   ("audit", "scorecard.submitted"), ("audit", "interview.scheduled"), ("note", "note.created"),
                   ("audit", "application.created"), ("audit", "candidate.created")], got
    assert items[0]["body"] == "Keen to start soon." and items[0]["visibility"] == "private"
    assert {i["target_id"] for i in items if i["kind"] == "audit"} == {cand, app["id"], iv["id"], offer["id"],
                                                                        *(i["target_id"] for i in items if i["target_type"] == "scorecard")}
    assert "status: scheduled → complete" in next(i["summary"] for i in items if i["action"] == "interview.complete")
    later = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await ats.client.get(f"/v1/candidates/{cand}/activity", params={"updated_after": later})).json()["data"] == []
    is_problem(await ats.client.get(f"/v1/candidates/{cand}/activity", params={"cursor": "garbage"}), 400)
