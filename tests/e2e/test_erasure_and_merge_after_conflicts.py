"""Flows 7 and 8 go through for people with rows in the conflict log: nothing dead-lettered, the tombstone holds,
the other side erased or merged, and the conflict history kept (without an erased person's values)."""

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def make_conflict(e2e, http, api, cand_id: str, prospect_id: str) -> dict:
    """Concurrent edits of one field on both sides: one of them loses (two_way) and is logged."""
    values = set(await api.edit_both(cand_id, prospect_id, "last_name", "FromAts", "FromCrm"))

    async def logged():  # the conflict of the two edits that raced (not of an earlier attempt's)
        data = (await http.get(f"{e2e.gateway_url}/v1/conflicts", params={"candidate": cand_id})).json()["data"]
        return [c for c in data if {c["ats_value"], c["crm_value"]} == values] or None
    return (await e2e.wait_until(logged, 20, message=f"a conflict between {values}"))[0]


async def dead_letters_about(e2e, http, *ids: str) -> list[dict]:
    data = (await http.get(f"{e2e.gateway_url}/v1/dead-letters", params={"status": "", "limit": 200})).json()["data"]
    return [d for d in data if any(i in (d["value"] or "") for i in ids)]


async def conflict_row(e2e, conflict_id: str) -> dict:
    engine = create_async_engine(e2e.gateway.env["GATEWAY_DATABASE_URL"])
    try:
        async with engine.connect() as conn:
            row = (await conn.execute(text("SELECT link_id::text, field, rule, winner, ats_value, crm_value, values_erased_at "
                                           "FROM conflicts WHERE id = :id"), {"id": conflict_id})).mappings().one()
    finally:
        await engine.dispose()
    return dict(row)


async def test_erasing_an_ats_candidate_with_conflicts_erases_the_crm_side_and_blocks_a_reimport(e2e, http, api, email):
    addr = email("conflict-erase")
    cand = await api.create("ats", first_name="Era", last_name="Conflict", emails=[addr])
    link = await api.link_of_candidate(cand["id"])
    conflict = await make_conflict(e2e, http, api, cand["id"], link["crm_prospect_id"])

    assert (await http.post(f"{e2e.ats_url}/v1/candidates/{cand['id']}/erase", json={"reason": "gdpr"})).status_code == 200

    async def crm_erased():
        p, _ = await api.get("crm", link["crm_prospect_id"])
        return p if p["status"] == "erased" else None
    await e2e.wait_until(crm_erased, 15, message="the CRM prospect erased")

    async def unlinked():
        return await api.links(ats_candidate_id=cand["id"]) == []
    await e2e.wait_until(unlinked, 15, message="the link removed")
    row = await conflict_row(e2e, conflict["id"])
    assert (row["link_id"], row["field"], row["rule"]) == (None, "last_name", "two_way")
    assert (row["ats_value"], row["crm_value"]) == (None, None) and row["values_erased_at"] is not None

    again = await api.create("ats", first_name="Era", last_name="Again", emails=[addr])
    sentinel = await api.create("ats", first_name="Sentinel", last_name="After", emails=[email("sentinel")])
    await api.link_of_candidate(sentinel["id"])  # the gateway has handled everything before it
    assert await api.links(ats_candidate_id=again["id"]) == []
    assert await api.by_email("crm", addr) == []
    assert await dead_letters_about(e2e, http, cand["id"], link["crm_prospect_id"], again["id"]) == []


async def test_erasing_a_crm_prospect_with_conflicts_erases_the_ats_side(e2e, http, api, email):
    cand = await api.create("ats", first_name="Crm", last_name="Conflict", emails=[email("crm-conflict-erase")])
    link = await api.link_of_candidate(cand["id"])
    await make_conflict(e2e, http, api, cand["id"], link["crm_prospect_id"])
    resp = await http.post(f"{e2e.crm_url}/v1/prospects/{link['crm_prospect_id']}/erase", json={"reason": "gdpr"})
    assert resp.status_code == 200, resp.text

    async def ats_erased():
        c, _ = await api.get("ats", cand["id"])
        return c if c["erased_at"] else None
    await e2e.wait_until(ats_erased, 15, message="the ATS candidate erased")

    async def unlinked():
        return await api.links(crm_prospect_id=link["crm_prospect_id"]) == []
    await e2e.wait_until(unlinked, 15, message="the link removed")
    assert await dead_letters_about(e2e, http, cand["id"], link["crm_prospect_id"]) == []


async def test_merging_candidates_with_conflicts_merges_the_crm_side_and_keeps_the_history(e2e, http, api, email):
    a = await api.create("ats", first_name="Mer", last_name="Survivor", emails=[email("merge-a")])
    b = await api.create("ats", first_name="Mer", last_name="Duplicate", emails=[email("merge-b")])
    link_a, link_b = await api.link_of_candidate(a["id"]), await api.link_of_candidate(b["id"])
    conflict = await make_conflict(e2e, http, api, b["id"], link_b["crm_prospect_id"])

    resp = await http.post(f"{e2e.ats_url}/v1/candidates/{a['id']}/merge", json={"duplicate_id": b["id"]})
    assert resp.status_code == 200, resp.text

    async def crm_merged():
        p, _ = await api.get("crm", link_b["crm_prospect_id"])
        return p if p["merged_into_id"] == link_a["crm_prospect_id"] else None
    await e2e.wait_until(crm_merged, 15, message="the CRM duplicate merged into the survivor's prospect")

    async def unlinked():
        return await api.links(ats_candidate_id=b["id"]) == []
    await e2e.wait_until(unlinked, 15, message="the duplicate's link removed")
    survivors = (await http.get(f"{e2e.gateway_url}/v1/conflicts", params={"candidate": a["id"]})).json()["data"]
    assert conflict["id"] in [c["id"] for c in survivors]  # the history follows the surviving link
    assert len(await api.links(ats_candidate_id=a["id"])) == 1
    assert await dead_letters_about(e2e, http, a["id"], b["id"]) == []
