"""Data-subject requests through the gateway (flow 7 made complete): the access bundle holds what both systems and
the gateway hold about a person; an erasure leaves no table of the three databases, and no record on Kafka (the
gateway's dead-letter topic included) raw or once opened with the producers' keys, holding their name, email or
phone; the tombstone blocks a re-import; nothing is dead-lettered by the erasure itself."""
from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from shared_schemas.envelope import EventEnvelope
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talent_dev.testing import personal_data_hits
from talentkit.sealing import Unsealer, http_key_fetch

ALWAYS = {"start": "00:00", "end": "23:59", "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}


async def _ok(resp, status: int = 200):  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    return resp.json()


async def test_access_then_erasure_of_a_person_in_both_systems_leaves_nothing_of_them_anywhere(e2e, http, api, email, midday_zone):
    tag, digits = uuid.uuid4().hex[:8], str(uuid.uuid4().int)[:8]
    first, last, addr, phone = f"Hedwig{tag}", f"Kiesewetter{tag}", email(f"dsar{tag}"), f"+49 30 {digits[:4]} {digits[4:]}"
    ats, crm, gw = f"{e2e.ats_url}/v1", f"{e2e.crm_url}/v1", f"{e2e.gateway_url}/v1"
    # a webhook endpoint (nobody listens there: the deliveries are kept, failing)
    await _ok(await http.post(f"{gw}/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks", "event_types": ["ats.*"]}), 201)

    # --- in the ATS: an application, an interview
    job = await _ok(await http.post(f"{ats}/jobs", json={"title": f"Actuary {tag}"}), 201)
    job = await _ok(await http.post(f"{ats}/jobs/{job['id']}/open"))
    stages = {s["name"]: s for s in job["stages"]}
    app = await _ok(await http.post(f"{ats}/applications", json={"job_id": job["id"], "candidate": {
        "first_name": first, "last_name": last, "emails": [addr], "phones": [phone]}}), 201)
    cid = app["candidate_id"]
    app = await _ok(await http.post(f"{ats}/applications/{app['id']}/move", json={
        "from_stage_id": stages["Applied"]["id"], "to_stage_id": stages["Interview"]["id"]}))
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=7)
    await _ok(await http.post(f"{ats}/interviews", json={
        "application_id": app["id"], "stage_id": stages["Interview"]["id"], "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(), "timezone": "Europe/Berlin",
        "interviewers": [f"iv-{tag}@example.com"], "location": f"Room {first}"}), 201)
    await _ok(await http.post(f"{ats}/candidates/{cid}/notes", json={"body": f"{first} asked about relocation"}), 201)

    # --- in the CRM (linked by the gateway): consent and a message
    link = await api.link_of_candidate(cid)
    pid = link["crm_prospect_id"]
    await _ok(await http.put(f"{crm}/prospects/{pid}/consent/email", json={"status": "granted", "lawful_basis": "consent"}))
    seq = await _ok(await http.post(f"{crm}/sequences", json={"name": f"n-{tag}", "send_window": ALWAYS, "steps": [
        {"kind": "email", "subject": "Hello {{first_name}}", "body": "Dear {{first_name}} {{last_name}}"}]}), 201)
    await _ok(await http.post(f"{crm}/sequences/{seq['id']}/enrollments", json={"prospect_id": pid, "timezone": midday_zone}), 201)

    async def sent():
        return [m for m in e2e.mailbox if m["To"] == addr]
    await e2e.wait_until(sent, 20, message="the sequence email to the person")

    # --- in the gateway: a conflict recorded on their link, a dead letter keyed by them
    engines = {p: create_async_engine(u) for p, u in e2e.database_urls.items()}
    async with engines["GATEWAY_"].begin() as conn:
        await conn.execute(text("INSERT INTO conflicts (id, link_id, field, ats_value, crm_value, rule, winner, event_id) "
                                "VALUES (:id, :link, 'last_name', :a, :c, 'two_way', 'ats', :e)"),
                           {"id": uuid.uuid4(), "link": link["id"], "a": json.dumps(last), "c": json.dumps(f"{last}-x"),
                            "e": str(uuid.uuid4())})
    # keyed by them, and holding no personal data itself: every record the scan below meets must be either sealed or
    # this one, so that nothing is skipped unopened
    poison = f"not json {tag}".encode()
    await e2e.produce("ats.candidates", poison, key=cid.encode())

    async def gateway_holds_it():
        async with engines["GATEWAY_"].connect() as conn:
            letters = (await conn.execute(text("SELECT count(*) FROM dead_letters WHERE key = :k"), {"k": cid.encode()})).scalar()
            deliveries = (await conn.execute(text("SELECT count(*) FROM webhook_deliveries WHERE :c = ANY(person_ids)"),
                                             {"c": cid})).scalar()
        return letters and deliveries
    await e2e.wait_until(gateway_holds_it, 20, message="the dead letter and webhook deliveries in the gateway")

    # --- access: one bundle from both systems and the gateway
    access = await _ok(await http.post(f"{gw}/data-subject-requests", json={
        "type": "access", "emails": [addr], "requested_by": "data_subject", "identity_verified": True}), 201)
    assert access["status"] == "completed" and access["bundle_available"]
    assert datetime.fromisoformat(access["due_at"]) - datetime.fromisoformat(access["received_at"]) == timedelta(days=30)
    r = await http.get(f"{gw}/data-subject-requests/{access['id']}/bundle")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    bundle = r.json()
    assert [b["candidate"]["id"] for b in bundle["ats"]] == [cid] and [b["prospect"]["id"] for b in bundle["crm"]] == [pid]
    assert bundle["ats"][0]["applications"][0]["id"] == app["id"] and bundle["ats"][0]["interviews"]
    assert any(first in (m.get("body") or "") for m in bundle["crm"][0]["records"]["messages"])
    assert bundle["gateway"]["links"][0]["id"] == link["id"] and bundle["gateway"]["conflicts"]
    assert bundle["gateway"]["webhook_deliveries"] and bundle["gateway"]["dead_letters"]

    # --- erasure: unverified first, then verified
    erasure = await _ok(await http.post(f"{gw}/data-subject-requests", json={
        "type": "erasure", "emails": [addr.upper()], "requested_by": "data_subject", "identity_verified": False}), 201)
    assert erasure["status"] == "awaiting_verification"
    assert any(x["id"] == erasure["id"] for x in (await _ok(await http.get(f"{gw}/data-subject-requests?overdue=false")))["data"])
    erasure = await _ok(await http.post(f"{gw}/data-subject-requests/{erasure['id']}/verify"))
    assert erasure["status"] == "completed", erasure
    assert erasure["emails"] == [] and {o["id"] for o in erasure["outcome"]["ats"]} == {cid}

    async def everywhere_gone():
        for engine in engines.values():
            if await personal_data_hits(engine, [addr, first, last, phone]):
                return None
        return True
    try:
        await e2e.wait_until(everywhere_gone, 30, interval=0.5, message="no personal data in any of the three databases")
    except AssertionError:
        raise AssertionError({p: await personal_data_hits(e, [addr, first, last, phone]) for p, e in engines.items()}) from None
    assert (await _ok(await http.get(f"{ats}/audit-events/verify")))["ok"] is True
    assert (await _ok(await http.get(f"{gw}/data-subject-requests/{access['id']}")))["bundle_available"] is False

    # --- Kafka: every record about them (the dead-letter topic's too), raw and opened with the producers' keys,
    # holds nothing of them; the only record that cannot be opened is the test's own poison record
    unsealer = Unsealer(http_key_fetch({"/ats": e2e.ats_url, "/crm": e2e.crm_url}, e2e.headers, http))
    needles = [n.encode() for n in (addr, first, last, phone)]
    poisons: dict[str, int] = {}
    for topic in ("ats.candidates", "ats.applications", "ats.interviews", "crm.prospects", "crm.messages", "crm.consents",
                  "dlq.sync-gateway"):
        for record in await e2e.read_topic(topic, {cid, pid, app["id"]}):
            raw = (record.value or b"") + b"".join(v or b"" for _, v in record.headers or ())
            assert not [n for n in needles if n in raw], (topic, record.offset)
            if record.value == poison:
                poisons[topic] = poisons.get(topic, 0) + 1
                continue
            shown = json.dumps((await unsealer.open(EventEnvelope.from_kafka(record.headers, record.value))).envelope.data)
            assert not [n for n in needles if n.decode() in shown], (topic, shown)
    # read on its topic, and on the DLQ as it was dead-lettered (at least once: the consumer's delivery guarantee)
    assert poisons.get("ats.candidates") == 1 and poisons.get("dlq.sync-gateway", 0) >= 1, poisons

    # --- the tombstone: the same address typed into the ATS again is not copied into the CRM
    again = await api.create("ats", first_name="Someone", last_name="Else", emails=[addr])
    sentinel = await api.create("ats", first_name="Sentinel", last_name=f"After{tag}", emails=[email("sentinel")])
    await api.link_of_candidate(sentinel["id"])
    assert await api.links(ats_candidate_id=again["id"]) == [] and await api.by_email("crm", addr) == []
    letters = (await _ok(await http.get(f"{gw}/dead-letters", params={"limit": 200})))["data"]
    assert not [d for d in letters if cid in json.dumps(d) or pid in json.dumps(d)]  # nothing dead-lettered about them
    for engine in engines.values():
        await engine.dispose()


async def test_a_rectification_corrects_the_person_on_both_sides(e2e, http, api, email):
    tag = uuid.uuid4().hex[:8]
    addr = email(f"rectify{tag}")
    cand = await api.create("ats", first_name="Rita", last_name=f"Wrnog{tag}", emails=[addr], location="Bonn")
    pid = (await api.link_of_candidate(cand["id"]))["crm_prospect_id"]
    req = await _ok(await http.post(f"{e2e.gateway_url}/v1/data-subject-requests", json={
        "type": "rectification", "emails": [addr], "requested_by": "data_subject", "identity_verified": True,
        "changes": {"last_name": f"Wrong{tag}", "location": "Berlin"}}), 201)
    assert req["status"] == "completed", req
    assert req["outcome"]["ats"] == [{"id": cand["id"], "result": "rectified"}]
    assert req["outcome"]["crm"] == [{"id": pid, "result": "rectified"}]
    for side, record_id in (("ats", cand["id"]), ("crm", pid)):
        record, _ = await api.get(side, record_id)
        assert (record["last_name"], record["location"]) == (f"Wrong{tag}", "Berlin"), (side, record)


async def test_an_erasure_under_an_ats_legal_hold_is_blocked_with_the_reason_until_the_hold_is_released(e2e, http, api, email):
    tag = uuid.uuid4().hex[:8]
    addr = email(f"held{tag}")
    ats, gw = f"{e2e.ats_url}/v1", f"{e2e.gateway_url}/v1"
    cand = await api.create("ats", first_name="Hilde", last_name=f"Held{tag}", emails=[addr])
    await api.link_of_candidate(cand["id"])
    hold = await _ok(await http.post(f"{ats}/legal-holds", json={"candidate_id": cand["id"], "reason": f"EEOC charge {tag}"}), 201)

    req = await _ok(await http.post(f"{gw}/data-subject-requests", json={
        "type": "erasure", "emails": [addr], "requested_by": "data_subject", "identity_verified": True}), 201)
    assert req["status"] == "blocked" and req["completed_at"] is None and req["emails"] == [addr], req
    [held] = req["outcome"]["ats"]
    assert held["id"] == cand["id"] and held["result"] == "blocked" and f"EEOC charge {tag}" in held["detail"], held
    assert (await _ok(await http.get(f"{gw}/data-subject-requests/{req['id']}")))["status"] == "blocked"
    kept, _ = await api.get("ats", cand["id"])
    assert kept["erased_at"] is None and kept["emails"] == [addr]  # the ATS keeps its legal record

    await _ok(await http.post(f"{ats}/legal-holds/{hold['id']}/release"))
    req = await _ok(await http.post(f"{gw}/data-subject-requests/{req['id']}/retry"))
    assert req["status"] == "completed" and req["emails"] == [], req
    assert (await api.get("ats", cand["id"]))[0]["erased_at"]
