"""What one ATS write causes inside the ATS happens in that write's unit of work: reactions to its events (notes
follow their candidate), the outbox row and the audit entry; a refused write leaves none of them."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from ats.db import platform
from sqlalchemy import select, text


async def outbox_types(ats, aggregate_id: str) -> list[str]:
    async with ats.engine.connect() as conn:
        return list((await conn.execute(select(platform.outbox.c.event_type).where(
            platform.outbox.c.aggregate_id == aggregate_id).order_by(platform.outbox.c.seq))).scalars())


async def actions(ats, target_id: str) -> list[str]:
    async with ats.engine.connect() as conn:
        return list((await conn.execute(text("SELECT action FROM audit_events WHERE target_id = :t ORDER BY id"),
                                        {"t": target_id})).scalars())


async def open_job(ats) -> dict:
    job = (await ats.client.post("/v1/jobs", json={"title": f"Role {uuid.uuid4().hex[:6]}"})).json()
    return (await ats.client.post(f"/v1/jobs/{job['id']}/open")).json()


async def test_erasing_a_candidate_erases_their_notes_in_the_same_write(ats):
    cand = (await ats.create()).json()
    note = await ats.client.post(f"/v1/candidates/{cand['id']}/notes", json={"body": "Lives at 1 Main St."})
    assert note.status_code == 201
    r = await ats.client.post(f"/v1/candidates/{cand['id']}/erase", json={"reason": "gdpr_request"})
    assert r.status_code == 200, r.text
    notes = (await ats.client.get(f"/v1/candidates/{cand['id']}/notes")).json()["data"]
    assert [n["body"] for n in notes] == ["[erased]"]
    # the created event's row is gone once published (erasure removes published rows about the person)
    assert (await outbox_types(ats, cand["id"]))[-1:] == ["ats.candidate.erased.v1"]
    assert await actions(ats, cand["id"]) == ["candidate.created", "candidate.erased"]


async def test_a_refused_merge_leaves_no_event_no_audit_entry_and_moves_nothing(ats):
    a, b = (await ats.create()).json(), (await ats.create()).json()
    job = await open_job(ats)
    for cand in (a, b):
        assert (await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate_id": cand["id"]})).status_code == 201
    await ats.client.post(f"/v1/candidates/{b['id']}/notes", json={"body": "b's note"})
    r = await ats.client.post(f"/v1/candidates/{a['id']}/merge", json={"duplicate_id": b["id"]})
    assert r.status_code == 409, r.text
    assert await outbox_types(ats, b["id"]) == ["ats.candidate.created.v1"]
    assert await actions(ats, a["id"]) == await actions(ats, b["id"]) == ["candidate.created"]
    assert [n["candidate_id"] for n in (await ats.client.get(f"/v1/candidates/{b['id']}/notes")).json()["data"]] == [b["id"]]


async def test_a_stage_an_interview_is_in_cannot_be_removed_and_the_job_stays_as_it_was(ats):
    job = await open_job(ats)
    final = next(s["id"] for s in job["stages"] if s["name"] == "Final interview")
    app = (await ats.client.post("/v1/applications", json={"job_id": job["id"], "candidate": ats.body(emails=[ats.new_email()])})).json()
    start = datetime.now(UTC) + timedelta(days=40)
    r = await ats.client.post("/v1/interviews", json={
        "application_id": app["id"], "stage_id": final, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(), "timezone": "UTC", "interviewers": [ats.new_email("iv")]})
    assert r.status_code == 201, r.text
    r = await ats.client.delete(f"/v1/jobs/{job['id']}/stages/{final}")
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json"), r.text
    after = (await ats.client.get(f"/v1/jobs/{job['id']}")).json()
    assert after["version"] == job["version"] and [s["id"] for s in after["stages"]] == [s["id"] for s in job["stages"]]
    assert await outbox_types(ats, job["id"]) == ["ats.job.created.v1", "ats.job.opened.v1"]
