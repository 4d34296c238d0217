"""Linking: an ATS candidate gets exactly one CRM prospect, created by the gateway or found by email."""


async def test_ats_candidate_is_created_and_linked_in_crm(e2e, api, email):
    addr = email("new")
    cand = await api.create("ats", first_name="Ada", last_name="Lovelace", emails=[addr], phones=["+44 20 7946 0001"],
                            headline="Analyst", location="London", tags=["math"], source="career_site")

    # how fast is for `make bench` to say; here a stalled broker or a backlog left by an earlier test may take seconds
    prospects = await e2e.wait_until(lambda: api.by_email("crm", addr), timeout=15,
                                     message="the CRM prospect of a new ATS candidate")
    assert len(prospects) == 1
    prospect = prospects[0]
    assert (prospect["first_name"], prospect["last_name"]) == ("Ada", "Lovelace")
    assert prospect["emails"] == [addr]
    assert prospect["phones"] == ["+44 20 7946 0001"]
    assert (prospect["headline"], prospect["location"]) == ("Analyst", "London")
    assert prospect["tags"] == ["math"]
    assert prospect["source"] == "ats_import"
    assert prospect["created_by"] == "sync-gateway"

    # the gateway records the link in its own database once the CRM has answered the create, so the prospect can
    # be read a moment before the link
    by_candidate = await e2e.wait_until(lambda: api.links(ats_candidate_id=cand["id"]), timeout=15,
                                        message="the gateway's link of the new candidate")
    assert len(by_candidate) == 1
    link = by_candidate[0]
    assert link["ats_candidate_id"] == cand["id"]
    assert link["crm_prospect_id"] == prospect["id"]
    assert link["matched_by"] == "created_in_crm"
    assert link["confidence"] == 1.0

    by_prospect = await api.links(crm_prospect_id=prospect["id"])
    assert [lk["id"] for lk in by_prospect] == [link["id"]]

    single = await api.http.get(f"{e2e.gateway_url}/v1/links/{link['id']}")
    assert single.status_code == 200 and single.json()["ats_candidate_id"] == cand["id"]


async def test_person_already_in_crm_is_linked_by_email_not_duplicated(e2e, api, email):
    shared, crm_only, ats_only = email("shared"), email("crmonly"), email("atsonly")
    prospect = await api.create("crm", first_name="Grace", last_name="Hopper", emails=[shared, crm_only],
                                phones=["+1 555 0100"], source="referral", tags=["navy"])

    cand = await api.create("ats", first_name="Grace", last_name="Hopper", emails=[shared.upper(), ats_only],
                            tags=["cobol"])
    assert cand["emails"] == [shared, ats_only]  # stored lower-case

    link = await api.link_of_candidate(cand["id"])
    assert link["crm_prospect_id"] == prospect["id"]
    assert link["matched_by"] == "email"

    # not duplicated: exactly one prospect with the shared address (and none created for the ATS-only one)
    assert [p["id"] for p in await api.by_email("crm", shared)] == [prospect["id"]]

    # union: the CRM-only email and phone reach the ATS, the ATS-only email reaches the CRM
    async def ats_has_crm_contacts():
        c, _ = await api.get("ats", cand["id"])
        return c if crm_only in c["emails"] and "+1 555 0100" in c["phones"] else None
    ats_view = await e2e.wait_until(ats_has_crm_contacts, 20, message="CRM-only email/phone in the ATS")
    assert set(ats_view["emails"]) == {shared, ats_only, crm_only}
    assert set(ats_view["tags"]) == {"cobol", "navy"}

    async def crm_has_ats_contacts():
        p, _ = await api.get("crm", prospect["id"])
        return p if ats_only in p["emails"] else None
    crm_view = await e2e.wait_until(crm_has_ats_contacts, 20, message="ATS-only email in the CRM")
    assert set(crm_view["emails"]) == {shared, crm_only, ats_only}
    assert set(crm_view["tags"]) == {"navy", "cobol"}
    assert crm_view["source"] == "referral"  # the CRM's first touch is kept
    assert [p["id"] for p in await api.by_email("crm", ats_only)] == [prospect["id"]]
    assert len(await api.links(crm_prospect_id=prospect["id"])) == 1
