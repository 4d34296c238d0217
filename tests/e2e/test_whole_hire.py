"""A whole hire over HTTP against the real ATS process: job, application with a new candidate, stages, an interview
with two interviewers and their scorecards, an offer through approval to acceptance, the hire. Then what reached
Kafka (one CloudEvent per change, in order per aggregate), the audit trail, and the candidate's linked CRM prospect
(created by the running sync gateway)."""
from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

from shared_schemas.envelope import EventEnvelope
from shared_schemas.events import REGISTRY


async def _ok(resp, status: int = 200) -> dict:
    assert resp.status_code == status, (resp.request.method, str(resp.request.url), resp.status_code, resp.text)
    return resp.json()


def _stage(job: dict, name: str) -> dict:
    return next(s for s in job["stages"] if s["name"] == name)


async def test_a_whole_hire_over_http_publishes_every_event_in_order_and_audits_it(e2e, http, api, email):
    ats = f"{e2e.ats_url}/v1"
    # --- the job
    job = await _ok(await http.post(f"{ats}/jobs", json={"title": f"Staff engineer {uuid.uuid4().hex[:6]}",
                                                        "location": "Remote", "employment_type": "full_time"}), 201)
    job = await _ok(await http.post(f"{ats}/jobs/{job['id']}/open"))
    assert job["status"] == "open"
    applied, screen, interview_stage = (_stage(job, n) for n in ("Applied", "Screen", "Interview"))

    # --- an application with a new candidate
    addr = email("hire")
    app = await _ok(await http.post(f"{ats}/applications", json={
        "job_id": job["id"], "source": "career_site",
        "candidate": {"first_name": "Katherine", "last_name": "Johnson", "emails": [addr], "tags": ["nasa"]}},
        headers={"Idempotency-Key": str(uuid.uuid4())}), 201)
    candidate_id = app["candidate_id"]
    assert app["stage"]["id"] == applied["id"]
    app = await _ok(await http.post(f"{ats}/applications/{app['id']}/move",
                                    json={"from_stage_id": applied["id"], "to_stage_id": screen["id"]}))
    app = await _ok(await http.post(f"{ats}/applications/{app['id']}/move",
                                    json={"from_stage_id": screen["id"], "to_stage_id": interview_stage["id"]}))
    assert app["stage"]["kind"] == "interview"

    # --- an interview with two interviewers, both submit scorecards
    interviewers = [f"iv-{uuid.uuid4().hex[:8]}@example.com", f"iv-{uuid.uuid4().hex[:8]}@example.com"]
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=30)
    interview = await _ok(await http.post(f"{ats}/interviews", json={
        "application_id": app["id"], "stage_id": interview_stage["id"], "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(), "timezone": "America/New_York",
        "interviewers": interviewers, "video_link": "https://meet.example.com/kj"}), 201)
    assert interview["status"] == "scheduled"
    cards = []
    for who, rec in zip(interviewers, ("yes", "strong_yes")):
        cards.append(await _ok(await http.post(f"{ats}/scorecards", json={
            "interview_id": interview["id"], "interviewer": who, "overall_recommendation": rec,
            "ratings": {"problem solving": "strong_yes", "communication": "yes"}, "notes": "hire"},
            headers={"On-Behalf-Of": who}), 201))
        state = (await _ok(await http.get(f"{ats}/interviews/{interview['id']}")))["status"]
        assert state == ("awaiting_feedback" if len(cards) == 1 else "complete")

    # --- the offer, through approval, sent and accepted
    offer = await _ok(await http.post(f"{ats}/offers", json={
        "application_id": app["id"], "start_date": (start + timedelta(days=30)).date().isoformat(),
        "salary": "185000", "currency": "usd", "approver": "cfo@example.com"}), 201)
    assert offer["status"] == "draft" and offer["offer_version"] == 1 and offer["currency"] == "USD"
    for action, status in (("request-approval", "approval_pending"), ("approve", "approved"), ("send", "sent"),
                           ("accept", "accepted")):
        approver = {"On-Behalf-Of": "cfo@example.com"} if action == "approve" else None  # the named approver
        offer = await _ok(await http.post(f"{ats}/offers/{offer['id']}/{action}", headers=approver))
        assert offer["status"] == status
    assert offer["approved_by"] == "cfo@example.com" and offer["resolved_at"]

    # --- the hire: from the interview stage, allowed by the accepted offer (no override)
    app = await _ok(await http.post(f"{ats}/applications/{app['id']}/hire", json={"start_date": offer["start_date"]}))
    assert app["status"] == "hired" and app["hire_override"] is False and app["stage"]["kind"] == "hired"
    assert app["start_date"] == offer["start_date"]

    # --- Kafka: the expected events per aggregate, in order, each a valid CloudEvent
    expected = {
        ("ats.jobs", job["id"]): ["ats.job.created.v1", "ats.job.opened.v1"],
        ("ats.applications", app["id"]): ["ats.application.created.v1", "ats.application.stage_changed.v1",
                                          "ats.application.stage_changed.v1", "ats.application.hired.v1"],
        ("ats.interviews", interview["id"]): ["ats.interview.scheduled.v1"],
        ("ats.scorecards", cards[0]["id"]): ["ats.scorecard.submitted.v1"],
        ("ats.scorecards", cards[1]["id"]): ["ats.scorecard.submitted.v1"],
        ("ats.offers", offer["id"]): ["ats.offer.created.v1", "ats.offer.approved.v1", "ats.offer.sent.v1",
                                      "ats.offer.accepted.v1"],
    }
    envelopes: dict[str, list[EventEnvelope]] = {}
    for (topic, subject), types in expected.items():
        async def arrived(topic: str = topic, subject: str = subject, n: int = len(types)):
            records = await e2e.read_topic(topic, {subject})
            return records if len(records) >= n else None
        records = await e2e.wait_until(arrived, timeout=20, interval=0.3, message=f"{len(types)} events of {subject} on {topic}")
        assert [e2e.header(r, "ce_type") for r in records] == types, (topic, subject)
        assert len({r.partition for r in records}) == 1  # keyed by the aggregate: one partition, one order
        envs = []
        for r in records:
            env = EventEnvelope.from_kafka(r.headers, r.value)  # raises unless a valid binary-mode CloudEvent
            assert e2e.header(r, "ce_specversion") == "1.0" and e2e.header(r, "content-type") == "application/json"
            assert env.source == "/ats" and env.subject == subject and r.key == subject.encode()
            assert env.origin == "admin"
            REGISTRY[env.type].model_validate(env.data)  # the data follows the shared contract
            envs.append(env)
        seqs = [e.sequence for e in envs]
        assert all(a < b for a, b in itertools.pairwise(seqs)), (subject, seqs)
        assert len({e.id for e in envs}) == len(envs)
        envelopes[subject] = envs

    changes = [e.data for e in envelopes[app["id"]] if e.type == "ats.application.stage_changed.v1"]
    assert [(c["from_stage"]["kind"], c["to_stage"]["kind"]) for c in changes] == [("applied", "screen"), ("screen", "interview")]
    assert [(c["from_stage"]["name"], c["to_stage"]["name"]) for c in changes] == [("Applied", "Screen"), ("Screen", "Interview")]
    hired = envelopes[app["id"]][-1].data
    assert hired["override"] is False and hired["from_stage"]["kind"] == "interview"
    assert hired["application"]["status"] == "hired" and hired["candidate_id"] == candidate_id
    assert [e.sequence for e in envelopes[app["id"]]] == [1, 2, 3, 4]
    assert envelopes[job["id"]][1].data["job"]["status"] == "open"
    assert envelopes[interview["id"]][0].data["interview"]["interviewers"] == interviewers
    assert {envelopes[c["id"]][0].data["interviewer"] for c in cards} == set(interviewers)
    assert all("notes" not in envelopes[c["id"]][0].data and "ratings" not in envelopes[c["id"]][0].data for c in cards)
    assert envelopes[offer["id"]][-1].data["offer"]["status"] == "accepted"

    # --- the audit trail of the application, and the whole chain
    audit = await _ok(await http.get(f"{ats}/audit-events", params={"target_type": "application", "target_id": app["id"]}))
    entries = audit["data"]
    assert [e["action"] for e in entries] == ["application.created", "application.moved", "application.moved",
                                              "application.hired"]
    assert [e["changes"].get("stage") for e in entries[1:3]] == [{"before": "Applied", "after": "Screen"},
                                                                 {"before": "Screen", "after": "Interview"}]
    assert "hire_override" not in entries[-1]["changes"]
    assert all(e["actor"] == "admin" and e["request_id"] for e in entries)
    offer_trail = (await _ok(await http.get(f"{ats}/audit-events", params={"target_type": "offer", "target_id": offer["id"]})))["data"]
    assert [e["action"] for e in offer_trail] == ["offer.created", "offer.approval_pending", "offer.approved",
                                                  "offer.sent", "offer.accepted"]
    verified = await _ok(await http.get(f"{ats}/audit-events/verify"))
    assert verified["ok"] is True and verified["first_broken_id"] is None and verified["checked"] >= 15

    # --- the candidate reached the CRM as a linked prospect
    link = await api.link_of_candidate(candidate_id, timeout=15)
    prospects = await e2e.wait_until(lambda: api.by_email("crm", addr), timeout=15, message="the hired candidate's prospect")
    assert [p["id"] for p in prospects] == [link["crm_prospect_id"]]
    assert (prospects[0]["first_name"], prospects[0]["last_name"]) == ("Katherine", "Johnson")
    assert prospects[0]["emails"] == [addr]

    # the candidate-side events are on ats.candidates too, keyed by the candidate
    cand_events = await e2e.read_topic("ats.candidates", {candidate_id})
    assert e2e.header(cand_events[0], "ce_type") == "ats.candidate.created.v1"
    assert (await e2e.opened(cand_events[0]))["candidate"]["emails"] == [addr]
