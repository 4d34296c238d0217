"""The CRM's part of a data-subject request: the access export holds every row about the prospect, and erasure
leaves no table of the CRM database holding their name, email or phone (messages, timeline, consent requests,
alerts, outbox and stored responses included)."""
from __future__ import annotations

import asyncio
import time
import uuid

from sqlalchemy import text
from talent_dev.testing import personal_data_hits


async def published(mail) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        async with mail.crm.app.state.engine.connect() as conn:
            if not (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar():
                return
        await asyncio.sleep(0.1)
    raise AssertionError("the outbox did not drain")


async def test_the_export_holds_everything_and_erasure_leaves_no_personal_data_in_any_crm_table(mail):
    tag = uuid.uuid4().hex[:8]
    digits = str(uuid.uuid4().int)[:8]
    first, last, phone = f"Philippa{tag}", f"Fawcett{tag}", f"+44 161 {digits[:4]} {digits[4:]}"
    pid, addr = await mail.prospect(first_name=first, last_name=last, phones=[phone], skills=[f"trigonometry{tag}"],
                                    source="career_site")
    await mail.crm.client.post(f"/v1/prospects/{pid}/notes", json={"body": f"Met {first} at the fair"})
    await mail.enroll(pid, [{"kind": "email", "subject": "Hi {{first_name}}", "body": "Hello {{first_name}} {{last_name}}"}])
    await mail.run()
    assert mail.inbox.to(addr)
    alert = await mail.crm.client.post("/v1/rediscovery/job-openings", json={
        "job_id": str(uuid.uuid4()), "title": "Mathematician", "skills": [f"trigonometry{tag}"]})
    assert alert.status_code == 201 and any(m["name"] == f"{first} {last}" for m in alert.json()["data"]["matches"])

    bundle = (await mail.crm.client.get(f"/v1/prospects/{pid}/export")).json()
    assert bundle["system"] == "crm" and bundle["prospect"]["emails"] == [addr]
    records = bundle["records"]
    assert {"consents", "consent_history", "messages", "activities", "enrollments"} <= records.keys()
    assert any(first in (m.get("body") or "") for m in records["messages"])
    assert any(a["id"] == alert.json()["id"] for a in bundle["alerts"])

    await published(mail)
    needles = [addr, first, last, phone]
    assert await personal_data_hits(mail.crm.app.state.engine, needles)
    r = await mail.crm.client.post(f"/v1/prospects/{pid}/erase", json={"reason": "gdpr_request"},
                                   headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 200, r.text
    assert await personal_data_hits(mail.crm.app.state.engine, needles) == []
    assert (await mail.crm.client.get(f"/v1/event-keys/{pid}")).status_code == 404
