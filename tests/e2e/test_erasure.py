"""Flow 8: erasure on either side erases the other side; a tombstone stops a silent re-import; the gateway forgets
its own copies of the person (webhook deliveries, dead letters) whatever started the erasure."""
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def _unlinked(api, **person) -> bool:
    return await api.links(**person) == []


async def test_an_ats_erasure_erases_the_crm_side_and_blocks_a_silent_reimport(e2e, http, api, email):
    addr = email("forget")
    cand = await api.create("ats", first_name="Right", last_name="ToBeForgotten", emails=[addr], phones=["+49 30 1234567"])
    link = await api.link_of_candidate(cand["id"])

    resp = await http.post(f"{e2e.ats_url}/v1/candidates/{cand['id']}/erase", json={"reason": "gdpr_request"})
    assert resp.status_code == 200, resp.text
    assert resp.json()["emails"] == [] and resp.json()["erased_at"]

    async def crm_erased():
        p, _ = await api.get("crm", link["crm_prospect_id"])
        return p if p["status"] == "erased" else None
    prospect = await e2e.wait_until(crm_erased, 15, message="the CRM prospect erased")
    assert prospect["emails"] == [] and prospect["phones"] == [] and prospect["first_name"] == "Erased"
    # The gateway erases the other side first, then drops the link in its own short transaction.
    await e2e.wait_until(lambda: _unlinked(api, ats_candidate_id=cand["id"]), 15, message="the link dropped")

    # The same person is typed into the ATS again: the gateway does not copy them into the CRM by itself.
    again = await api.create("ats", first_name="Right", last_name="Again", emails=[addr.upper()])
    sentinel = await api.create("ats", first_name="Sentinel", last_name="After", emails=[email("sentinel")])
    await api.link_of_candidate(sentinel["id"])  # the gateway has processed everything before it
    assert await api.links(ats_candidate_id=again["id"]) == []
    assert await api.by_email("crm", addr) == []
    assert (await http.post(f"{e2e.ats_url}/v1/candidates/{cand['id']}/erase", json={})).status_code == 409


async def test_a_crm_erasure_erases_the_ats_side(e2e, http, api, email):
    cand = await api.create("ats", first_name="Crm", last_name="Erasure", emails=[email("crm-forget")])
    link = await api.link_of_candidate(cand["id"])
    resp = await http.post(f"{e2e.crm_url}/v1/prospects/{link['crm_prospect_id']}/erase", json={"reason": "gdpr_request"})
    assert resp.status_code == 200, resp.text

    async def ats_erased():
        c, _ = await api.get("ats", cand["id"])
        return c if c["erased_at"] else None
    erased = await e2e.wait_until(ats_erased, 15, message="the ATS candidate erased")
    assert erased["emails"] == [] and erased["last_name"] == "Erased"
    await e2e.wait_until(lambda: _unlinked(api, crm_prospect_id=link["crm_prospect_id"]), 15, message="the link dropped")


async def test_a_direct_ats_erasure_forgets_the_persons_webhook_deliveries_and_dead_letters_in_the_gateway(
        e2e, http, api, email):
    tag = uuid.uuid4().hex[:8]
    addr = email(f"copies{tag}")
    gw = f"{e2e.gateway_url}/v1"
    # nobody listens there: the delivery stays in the gateway, failing
    resp = await http.post(f"{gw}/webhook-endpoints", json={"url": "http://127.0.0.1:9/hooks",
                                                            "event_types": ["ats.candidate.*"]})
    assert resp.status_code == 201, resp.text
    endpoint_id = resp.json()["id"]
    cand = await api.create("ats", first_name="Gateway", last_name=f"Copies{tag}", emails=[addr])
    cid = cand["id"]
    await api.link_of_candidate(cid)
    # a record the consumer cannot read, keyed by the person: a dead letter about them (no personal data in it)
    await e2e.produce("ats.candidates", b"not json", key=cid.encode())
    engine = create_async_engine(e2e.database_urls["GATEWAY_"])

    async def copies() -> tuple[list[str], int]:
        async with engine.connect() as conn:
            deliveries = (await conn.execute(text(
                "SELECT id::text FROM webhook_deliveries WHERE :c = ANY(person_ids)"), {"c": cid})).scalars().all()
            letters = (await conn.execute(text("SELECT count(*) FROM dead_letters WHERE key = :k"),
                                          {"k": cid.encode()})).scalar()
        return list(deliveries), letters
    try:
        before, _ = await e2e.wait_until(lambda: _both(copies), 20, message="a delivery and a dead letter about them")

        resp = await http.post(f"{e2e.ats_url}/v1/candidates/{cid}/erase", json={"reason": "gdpr_request"})
        assert resp.status_code == 200, resp.text
        await e2e.wait_until(lambda: _unlinked(api, ats_candidate_id=cid), 15, message="the link dropped")

        async def forgotten() -> bool:
            deliveries, letters = await copies()
            return not set(before) & set(deliveries) and letters == 0
        await e2e.wait_until(forgotten, 15, message="the deliveries and the dead letter about them gone")
    finally:
        await http.post(f"{gw}/webhook-endpoints/{endpoint_id}/disable")
        await engine.dispose()


async def _both(copies):  # type: ignore[no-untyped-def]
    deliveries, letters = await copies()
    return (deliveries, letters) if deliveries and letters else None


async def test_an_expired_consent_anonymises_the_crm_side_only_and_the_ats_keeps_its_record_with_a_note(
        e2e, http, api, email):
    """Flow 8: the CRM lets a person go whose consent lapsed without renewal; the ATS keeps its legal record, is
    told on the candidate's notes, loses the link, and the person is not copied into the CRM again."""
    addr = email("lapsed")
    cand = await api.create("ats", first_name="Lapsed", last_name="Consent", emails=[addr])
    link = await api.link_of_candidate(cand["id"])
    prospect_id = link["crm_prospect_id"]
    # the only consent that lets the CRM keep them, already past its expiry: the CRM's next upkeep pass expires it
    r = await http.put(f"{e2e.crm_url}/v1/prospects/{prospect_id}/consent/email", json={
        "purpose": "talent_pool", "status": "granted", "lawful_basis": "consent", "source": "career_site_form",
        "collected_at": "2024-01-01T00:00:00Z", "expires_at": "2025-01-01T00:00:00Z"})
    assert r.status_code == 200, r.text

    async def crm_anonymised():
        p, _ = await api.get("crm", prospect_id)
        return p if p["status"] == "erased" else None
    prospect = await e2e.wait_until(crm_anonymised, 20, message="the CRM prospect anonymised on consent expiry")
    assert prospect["emails"] == [] and prospect["first_name"] == "Erased"
    await e2e.wait_until(lambda: _unlinked(api, ats_candidate_id=cand["id"]), 15, message="the link dropped")

    async def noted():
        notes = (await http.get(f"{e2e.ats_url}/v1/candidates/{cand['id']}/notes")).json()["data"]
        return [n for n in notes if "consent expired" in n["body"]] or None
    await e2e.wait_until(noted, 15, message="the ATS told on the candidate's notes")
    kept, _ = await api.get("ats", cand["id"])
    assert kept["erased_at"] is None and kept["emails"] == [addr] and kept["first_name"] == "Lapsed"
    # their emails are buried: a later change in the ATS does not copy them into the CRM again
    _, etag = await api.get("ats", cand["id"])
    r = await http.patch(f"{e2e.ats_url}/v1/candidates/{cand['id']}", json={"headline": "Still here"},
                         headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    sentinel = await api.create("ats", first_name="Sentinel", last_name="Lapsed", emails=[email("sentinel-lapsed")])
    await api.link_of_candidate(sentinel["id"])  # the gateway has processed everything before it
    assert await api.links(ats_candidate_id=cand["id"]) == [] and await api.by_email("crm", addr) == []
