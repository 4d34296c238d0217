"""Erased and merged prospects refuse every write (issue #8, finding 14): 410 Gone for an erased one, 409 naming
the survivor for a merged one. A push to an ATS job is a resource whose outcome the sync gateway reports, and a
failure reaches the recruiter (timeline and alert)."""
from __future__ import annotations

import uuid

import pytest_asyncio

SILVER = "00000000-0000-4000-8000-00000000c0de"


async def new_prospect(crm, **kw) -> dict:
    r = await crm.client.post("/v1/prospects", json=crm.body(**kw))
    assert r.status_code == 201, r.text
    return r.json()


@pytest_asyncio.fixture(loop_scope="session")
async def world(crm):
    """A prospect in a pool, a sequence, and a second live prospect."""
    p = await new_prospect(crm)
    other = await new_prospect(crm)
    pool = (await crm.client.post("/v1/pools", json={"name": f"pool-{uuid.uuid4().hex[:6]}"})).json()
    assert (await crm.client.post(f"/v1/pools/{pool['id']}/members", json={"prospect_id": p["id"]})).status_code == 201
    seq = (await crm.client.post("/v1/sequences", json={"name": "s", "steps": [{"kind": "task", "body": "Call"}]})).json()
    return p, other, pool, seq


def writes(pid: str, other: str, pool: dict, seq: dict, version: int) -> list[tuple[str, str, dict | None, dict]]:
    """Every write that names the prospect: (method, path, json, headers)."""
    return [
        ("PATCH", f"/v1/prospects/{pid}", {"headline": "x"}, {"If-Match": f'"{version}"'}),
        ("POST", f"/v1/prospects/{pid}/push-to-job", {"job_id": str(uuid.uuid4())}, {}),
        ("POST", f"/v1/prospects/{pid}/merge", {"duplicate_id": other}, {}),
        ("POST", f"/v1/prospects/{other}/merge", {"duplicate_id": pid}, {}),
        ("POST", f"/v1/prospects/{pid}/status-events", {"kind": "applied", "job_id": "j1"}, {}),
        ("POST", f"/v1/sequences/{seq['id']}/enrollments", {"prospect_id": pid}, {}),
        ("POST", f"/v1/pools/{SILVER}/members", {"prospect_id": pid}, {}),
        ("POST", f"/v1/pools/{pool['id']}/members/{pid}/move", {"to_stage_id": pool["stages"][1]["id"]}, {}),
        ("DELETE", f"/v1/pools/{pool['id']}/members/{pid}", None, {}),
        ("POST", f"/v1/prospects/{pid}/notes", {"body": "hello"}, {}),
        ("PUT", f"/v1/prospects/{pid}/consent/email", {"status": "granted", "lawful_basis": "consent"}, {}),
        ("POST", f"/v1/prospects/{pid}/page-visits", {"url": "https://careers.example/1"}, {}),
    ]


async def test_every_write_to_an_erased_prospect_is_410_gone(crm, world):
    p, other, pool, seq = world
    erased = await crm.client.post(f"/v1/prospects/{p['id']}/erase", json={"reason": "gdpr_request"})
    assert erased.status_code == 200, erased.text
    for method, path, body, headers in writes(p["id"], other["id"], pool, seq, erased.json()["version"]):
        r = await crm.client.request(method, path, json=body, headers=headers)
        assert r.status_code == 410, (method, path, r.status_code, r.text)
        assert r.headers["content-type"].startswith("application/problem+json") and r.json()["prospect_status"] == "erased"
    got = (await crm.client.get(f"/v1/prospects/{p['id']}")).json()
    assert (got["headline"], got["version"]) == (None, erased.json()["version"])  # nothing changed
    again = await crm.client.post(f"/v1/prospects/{p['id']}/erase", json={})
    assert again.status_code == 409  # erasing twice stays a conflict (the gateway relies on it)


async def test_every_write_to_a_merged_prospect_is_409_naming_the_survivor(crm, world):
    p, other, pool, seq = world
    survivor = await new_prospect(crm)
    merged = await crm.client.post(f"/v1/prospects/{survivor['id']}/merge", json={"duplicate_id": p["id"]})
    assert merged.status_code == 200, merged.text
    version = (await crm.client.get(f"/v1/prospects/{p['id']}")).json()["version"]
    for method, path, body, headers in writes(p["id"], other["id"], pool, seq, version):
        if path.endswith((f"/members/{p['id']}", f"/members/{p['id']}/move")):
            continue  # its memberships moved to the survivor: nothing left to name
        r = await crm.client.request(method, path, json=body, headers=headers)
        assert r.status_code == 409, (method, path, r.status_code, r.text)
        assert r.json()["merged_into_id"] == survivor["id"] and r.headers["location"] == f"/v1/prospects/{survivor['id']}"


async def test_a_push_to_a_job_is_a_resource_whose_failure_the_recruiter_sees(crm):
    p = await new_prospect(crm)
    job = str(uuid.uuid4())
    r = await crm.client.post(f"/v1/prospects/{p['id']}/push-to-job", json={"job_id": job},
                              headers={"Idempotency-Key": uuid.uuid4().hex, "On-Behalf-Of": "alice"})
    assert r.status_code == 202, r.text
    push = r.json()
    assert r.headers["location"] == f"/v1/pushes/{push['id']}"
    assert (push["status"], push["prospect_id"], push["job_id"], push["reason"]) == ("requested", p["id"], job, None)
    events = await crm.events_for(p["id"], until=lambda rs: any(dict(x.headers)["ce_type"] == b"crm.prospect.pushed_to_job.v1" for x in rs))
    pushed = next(x for x in events if dict(x.headers)["ce_type"] == b"crm.prospect.pushed_to_job.v1")
    assert f'"push_id":"{push["id"]}"' in pushed.value.decode().replace(" ", "")

    missing = await crm.client.post(f"/v1/pushes/{push['id']}/outcome", json={"status": "failed"})
    assert missing.status_code == 422 and "reason" in [e["field"] for e in missing.json()["errors"]]
    failed = await crm.client.post(f"/v1/pushes/{push['id']}/outcome", json={
        "status": "failed", "code": "job_closed", "reason": "The job is closed in the ATS."})
    assert failed.status_code == 200, failed.text
    assert (failed.json()["status"], failed.json()["code"]) == ("failed", "job_closed")
    same = await crm.client.post(f"/v1/pushes/{push['id']}/outcome", json={
        "status": "failed", "code": "job_closed", "reason": "The job is closed in the ATS."})
    assert same.status_code == 200 and same.json()["version"] == failed.json()["version"]  # a retry changes nothing
    assert (await crm.client.get(f"/v1/pushes/{push['id']}")).json()["status"] == "failed"

    timeline = (await crm.client.get(f"/v1/prospects/{p['id']}/activities", params={"kind": "push_failed"})).json()["data"]
    assert len(timeline) == 1 and "closed" in timeline[0]["summary"]
    alerts = (await crm.client.get("/v1/alerts", params={"recipient": "alice", "kind": "push_failed"})).json()["data"]
    assert [a["data"]["push_id"] for a in alerts] == [push["id"]]
    listed = (await crm.client.get("/v1/pushes", params={"prospect_id": p["id"]})).json()["data"]
    assert [x["id"] for x in listed] == [push["id"]]
    assert (await crm.client.post(f"/v1/pushes/{uuid.uuid4()}/outcome", json={"status": "succeeded"})).status_code == 404


async def test_the_applied_status_for_the_pushed_job_marks_the_push_succeeded(crm):
    p = await new_prospect(crm)
    job = str(uuid.uuid4())
    push = (await crm.client.post(f"/v1/prospects/{p['id']}/push-to-job", json={"job_id": job})).json()
    again = await crm.client.post(f"/v1/prospects/{p['id']}/push-to-job", json={"job_id": job})
    assert again.status_code == 409 and again.json()["existing_push_id"] == push["id"]  # one pending push per job
    app_id = str(uuid.uuid4())
    r = await crm.client.post(f"/v1/prospects/{p['id']}/status-events",
                              json={"kind": "applied", "job_id": job, "application_id": app_id})
    assert r.status_code == 200, r.text
    done = (await crm.client.get(f"/v1/pushes/{push['id']}")).json()
    assert (done["status"], done["application_id"]) == ("succeeded", app_id)
    late = await crm.client.post(f"/v1/pushes/{push['id']}/outcome", json={"status": "failed", "reason": "x"})
    assert late.status_code == 409  # a push that succeeded cannot fail afterwards


async def test_a_push_the_crm_knows_is_wrong_is_refused_at_once(crm):
    no_email = await new_prospect(crm, emails=[])
    r = await crm.client.post(f"/v1/prospects/{no_email['id']}/push-to-job", json={"job_id": str(uuid.uuid4())})
    assert r.status_code == 409
    p = await new_prospect(crm)
    bad = await crm.client.post(f"/v1/prospects/{p['id']}/push-to-job", json={"job_id": "not-a-uuid"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "job_id"
    assert (await crm.client.get("/v1/pushes", params={"prospect_id": p["id"]})).json()["data"] == []


async def test_an_erasure_reaches_every_copy_of_the_person_and_a_merge_moves_what_follows_the_person(mail):
    crm = mail.crm
    pid, addr = await mail.prospect()
    eid = await mail.enroll(pid, [{"kind": "email", "subject": "Hi {{first_name}}", "body": "See https://jobs.example/e"},
                                  {"kind": "email", "delay": 5, "subject": "Again", "body": "Ping"}])
    await mail.run()
    assert (await crm.client.post(f"/v1/prospects/{pid}/erase", json={})).status_code == 200
    e = (await crm.client.get(f"/v1/enrollments/{eid}")).json()
    assert (e["status"], e["exit_reason"]) == ("exited", "erased")
    [m] = await mail.messages(eid)
    assert (m["recipient"], m["subject"], m["body"], m["body_html"], m["links"]) == (None, None, None, None, [])
    timeline = (await crm.client.get(f"/v1/prospects/{pid}/activities", params={"limit": 200})).json()["data"]
    assert timeline and all(a["summary"] in ("[erased]", "Left the sequence: erased") for a in timeline)
    assert addr not in str(timeline)

    survivor, dup = await new_prospect(crm), await new_prospect(crm)
    pool = (await crm.client.post("/v1/pools", json={"name": f"m-{uuid.uuid4().hex[:6]}"})).json()
    await crm.client.post(f"/v1/pools/{pool['id']}/members", json={"prospect_id": dup["id"]})
    seq = (await crm.client.post("/v1/sequences", json={"name": "m", "steps": [{"kind": "task", "body": "x", "delay": 3}]})).json()
    moving = (await crm.client.post(f"/v1/sequences/{seq['id']}/enrollments", json={"prospect_id": dup["id"]})).json()
    assert (await crm.client.post(f"/v1/prospects/{survivor['id']}/merge", json={"duplicate_id": dup["id"]})).status_code == 200
    members = (await crm.client.get(f"/v1/pools/{pool['id']}/members")).json()["data"]
    assert [m["prospect_id"] for m in members] == [survivor["id"]]
    moved = (await crm.client.get(f"/v1/enrollments/{moving['id']}")).json()
    assert (moved["prospect_id"], moved["status"]) == (survivor["id"], "scheduled")
