"""Flow 7: merges on either side re-point the link; when both people were linked, the other side merges too.
Never two links for one person."""


async def test_an_ats_merge_of_two_linked_candidates_merges_their_prospects(e2e, http, api, email):
    a = await api.create("ats", first_name="Ada", last_name="Merge", emails=[email("a")])
    b = await api.create("ats", first_name="Ada", last_name="Merge", emails=[email("b")], phones=["+1 555 0100"])
    link_a, link_b = await api.link_of_candidate(a["id"]), await api.link_of_candidate(b["id"])

    resp = await http.post(f"{e2e.ats_url}/v1/candidates/{a['id']}/merge", json={"duplicate_id": b["id"]})
    assert resp.status_code == 200, resp.text

    async def crm_merged():
        p, _ = await api.get("crm", link_b["crm_prospect_id"])
        return p if p["merged_into_id"] == link_a["crm_prospect_id"] else None
    await e2e.wait_until(crm_merged, 15, message="the CRM duplicate merged into the survivor's prospect")
    survivor, _ = await api.get("crm", link_a["crm_prospect_id"])
    assert set(b["emails"]) <= set(survivor["emails"]) and "+1 555 0100" in survivor["phones"]

    async def folded() -> bool:  # the gateway merges the other side first, then folds the links in its transaction
        return await api.links(ats_candidate_id=b["id"]) == []
    await e2e.wait_until(folded, 15, message="the duplicate's link folded into the survivor's")
    assert len(await api.links(ats_candidate_id=a["id"])) == 1
    assert await api.links(crm_prospect_id=link_b["crm_prospect_id"]) == []


async def test_a_crm_merge_into_an_unlinked_prospect_repoints_the_link(e2e, http, api, email):
    cand = await api.create("ats", first_name="Grace", last_name="Repoint", emails=[email("linked")])
    link = await api.link_of_candidate(cand["id"])
    unlinked = await api.create("crm", first_name="Grace", last_name="Repoint", emails=[email("crm-only")], source="event")

    resp = await http.post(f"{e2e.crm_url}/v1/prospects/{unlinked['id']}/merge",
                           json={"duplicate_id": link["crm_prospect_id"]})
    assert resp.status_code == 200, resp.text

    async def repointed():
        data = await api.links(ats_candidate_id=cand["id"])
        return data if data and data[0]["crm_prospect_id"] == unlinked["id"] else None
    await e2e.wait_until(repointed, 15, message="the link re-pointed to the surviving prospect")
    assert await api.links(crm_prospect_id=link["crm_prospect_id"]) == []
