"""Sequences, versions, enrollments, stop rules and consent over the real app (PostgreSQL, Kafka)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from crm.enrollments import service as enrollments
from crm.sending.config import SendingSettings
from crm.sequences.clock import FakeClock

WED_10_UTC = datetime(2026, 3, 4, 10, tzinfo=UTC)


def seq_body(**overrides):
    body = {"name": "Backend nurture " + uuid.uuid4().hex[:6], "steps": [
        {"kind": "email", "delay": 0, "subject": "Hi {{first_name}}", "body": "A {{job_title}} role at {{company}}: https://jobs.example/1"},
        {"kind": "email", "delay": 2, "delay_unit": "business_days", "subject": "Following up", "body": "Still keen, {{first_name}}?"},
    ], "holidays": ["2026-12-24"]}
    body.update(overrides)
    return body


@pytest_asyncio.fixture(loop_scope="session")
async def api(crm):
    """The CRM with a movable clock and the background scheduler switched off (tests drive passes themselves)."""
    crm.app.state.crm_clock = FakeClock(WED_10_UTC)
    crm.app.state.sending_settings = SendingSettings(scheduler_enabled=False)
    yield crm


async def prospect(api, **kw) -> str:
    r = await api.client.post("/v1/prospects", json=api.body(**kw))
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def sequence(api, **kw) -> dict:
    r = await api.client.post("/v1/sequences", json=seq_body(**kw), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    return r.json()


async def test_creating_editing_a_sequence_makes_a_new_version_and_running_enrollments_keep_theirs(api):
    s = await sequence(api)
    assert s["sequence_version"] == 1 and s["version"] == 1 and s["send_window"]["days"] == ["mon", "tue", "wed", "thu", "fri"]
    pid = await prospect(api)
    e = (await api.client.post(f"/v1/sequences/{s['id']}/enrollments", json={"prospect_id": pid, "timezone": "Europe/Berlin",
                                                                            "variables": {"job_title": "SRE", "company": "Acme"}},
                               headers={"Idempotency-Key": uuid.uuid4().hex})).json()
    assert e["sequence_version"] == 1 and e["status"] == "scheduled" and e["next_due_at"].startswith("2026-03-04T10:00")
    renamed = await api.client.patch(f"/v1/sequences/{s['id']}", json={"name": "Renamed"}, headers={"If-Match": '"1"'})
    assert renamed.status_code == 200 and renamed.json()["sequence_version"] == 1 and renamed.headers["etag"] == '"2"'
    steps = seq_body()["steps"][:1]
    edited = await api.client.patch(f"/v1/sequences/{s['id']}", json={"steps": steps}, headers={"If-Match": '"2"'})
    assert edited.status_code == 200, edited.text
    assert edited.json()["sequence_version"] == 2 and len(edited.json()["steps"]) == 1
    stale = await api.client.patch(f"/v1/sequences/{s['id']}", json={"name": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412
    assert (await api.client.patch(f"/v1/sequences/{s['id']}", json={"name": "x"})).status_code == 428
    assert (await api.client.get(f"/v1/enrollments/{e['id']}")).json()["sequence_version"] == 1
    listed = await api.client.get("/v1/sequences", params={"limit": 1})
    assert listed.status_code == 200 and len(listed.json()["data"]) == 1


@pytest.mark.parametrize(("patch", "field"), [
    ({"steps": [{"kind": "fax", "body": "x"}]}, "steps.0.kind"),
    ({"steps": [{"kind": "email", "body": "no subject"}]}, "steps.0"),
    ({"steps": [{"kind": "sms", "body": "Hi {{first name}}"}]}, "steps.0.body"),
    ({"send_window": {"start": "17:00", "end": "09:00"}}, "send_window"),
    ({"holidays": ["24.12.2026"]}, "holidays.0"),
    ({"send_window": {"start": "10:00:00Z", "end": "17:00"}}, "send_window.start"),
    ({"send_window": {"start": "09:00", "end": "17:00:00+02:00"}}, "send_window.end"),
    ({"min_gap_seconds": 10**12}, "min_gap_seconds"),
    ({"min_gap_seconds": 2**70}, "min_gap_seconds"),
    ({"daily_cap": 10**15}, "daily_cap"),
])
async def test_invalid_sequences_are_422_naming_the_field(api, patch, field):
    r = await api.client.post("/v1/sequences", json=seq_body(**patch))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert field in [e["field"] for e in r.json()["errors"]], r.json()


@pytest.mark.parametrize("field", ["name", "steps", "send_window", "holidays"])
async def test_nulling_a_required_field_of_a_sequence_is_422_not_a_server_error(api, field):
    s = await sequence(api)
    r = await api.client.patch(f"/v1/sequences/{s['id']}", json={field: None}, headers={"If-Match": '"1"'})
    assert r.status_code == 422 and [e["field"] for e in r.json()["errors"]] == [field]


async def test_send_window_times_are_local_wall_times_in_the_api_and_its_openapi(api):
    s = await sequence(api, send_window={"start": "08:30", "end": "18:00", "days": ["mon"]})
    assert (s["send_window"]["start"], s["send_window"]["end"]) == ("08:30:00", "18:00:00")
    spec = (await api.client.get("/openapi.json")).json()["components"]["schemas"]
    start = spec["SendWindowIn"]["properties"]["start"]
    assert "format" not in start and start["pattern"] and "time zone" in start["description"]


async def test_one_running_enrollment_per_prospect_and_the_409_points_at_it(api):
    s, pid = await sequence(api), await prospect(api)
    url = f"/v1/sequences/{s['id']}/enrollments"
    first = await api.client.post(url, json={"prospect_id": pid}, headers={"Idempotency-Key": "enr-" + pid})
    assert first.status_code == 201 and first.json()["timezone"] == "UTC"
    replay = await api.client.post(url, json={"prospect_id": pid}, headers={"Idempotency-Key": "enr-" + pid})
    assert replay.status_code == 201 and replay.json()["id"] == first.json()["id"]
    second = await api.client.post(url, json={"prospect_id": pid})
    assert second.status_code == 409 and second.json()["existing_enrollment_id"] == first.json()["id"]
    bad = await api.client.post(url, json={"prospect_id": pid, "timezone": "Mars/Olympus"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "timezone"
    unknown = await api.client.post(url, json={"prospect_id": str(uuid.uuid4())})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "prospect_id"


async def test_pause_resume_exit_follow_the_state_machine(api):
    s, pid = await sequence(api), await prospect(api)
    e = (await api.client.post(f"/v1/sequences/{s['id']}/enrollments", json={"prospect_id": pid})).json()
    base = f"/v1/enrollments/{e['id']}"
    paused = await api.client.post(base + "/pause", headers={"Idempotency-Key": uuid.uuid4().hex})
    assert paused.json()["status"] == "paused" and paused.json()["next_due_at"] is None
    assert (await api.client.post(base + "/pause")).status_code == 409
    resumed = await api.client.post(base + "/resume")
    assert resumed.json()["status"] == "scheduled" and resumed.json()["next_due_at"] is not None
    exited = await api.client.post(base + "/exit", json={"reason": "talked on the phone"})
    assert exited.json()["status"] == "exited" and exited.json()["exit_reason"] == "manual: talked on the phone"
    assert (await api.client.post(base + "/resume")).status_code == 409
    again = await api.client.post(f"/v1/sequences/{s['id']}/enrollments", json={"prospect_id": pid})
    assert again.status_code == 201  # a finished enrollment does not block a new one
    records = await api.events_for(e["id"], topic="crm.enrollments", until=lambda rs: len(rs) >= 2)
    assert [dict(r.headers)["ce_type"] for r in records] == [b"crm.enrollment.started.v1", b"crm.enrollment.exited.v1"]


async def test_exit_all_is_what_the_ats_status_hook_calls(api):
    s, pid = await sequence(api), await prospect(api)
    e = (await api.client.post(f"/v1/sequences/{s['id']}/enrollments", json={"prospect_id": pid})).json()
    async with api.app.state.uow_factory() as uow:
        exited = await enrollments.exit_all(uow=uow, prospect_id=uuid.UUID(pid), reason="hired")
        assert [str(x.id) for x in exited] == [e["id"]]
        assert await enrollments.exit_all(uow=uow, prospect_id=uuid.UUID(pid), reason="hired") == []
        await uow.commit()
    got = (await api.client.get(f"/v1/enrollments/{e['id']}")).json()
    assert (got["status"], got["exit_reason"]) == ("exited", "hired")


async def test_consent_is_per_channel_and_withdrawing_email_exits_enrollments(api):
    s, pid = await sequence(api), await prospect(api)
    empty = (await api.client.get(f"/v1/prospects/{pid}/consent")).json()
    assert [(c["channel"], c["status"]) for c in empty["channels"]] == [("email", "unknown"), ("sms", "unknown")]
    granted = await api.client.put(f"/v1/prospects/{pid}/consent/email", json={
        "status": "granted", "lawful_basis": "consent", "source": "career_site", "text_version": "2026-01"})
    assert granted.status_code == 200 and granted.json()["version"] == 1
    e = (await api.client.post(f"/v1/sequences/{s['id']}/enrollments", json={"prospect_id": pid})).json()
    stale = await api.client.put(f"/v1/prospects/{pid}/consent/email", json={"status": "withdrawn"}, headers={"If-Match": '"7"'})
    assert stale.status_code == 412
    withdrawn = await api.client.put(f"/v1/prospects/{pid}/consent/email", json={"status": "withdrawn"})
    assert withdrawn.json()["status"] == "withdrawn"
    got = (await api.client.get(f"/v1/enrollments/{e['id']}")).json()
    assert (got["status"], got["exit_reason"]) == ("exited", "consent_missing")
    bad = await api.client.put(f"/v1/prospects/{pid}/consent/fax", json={"status": "granted"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "channel"
    assert (await api.client.get(f"/v1/prospects/{uuid.uuid4()}/consent")).status_code == 404
    records = await api.events_for(pid, topic="crm.consents", until=lambda rs: len(rs) >= 2)
    assert {dict(r.headers)["ce_type"] for r in records} == {b"crm.consent.changed.v1"}
