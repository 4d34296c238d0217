"""Flow 8: erasure on either side erases the other side; a tombstone stops a silent re-import."""


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
