"""The field policy through the running services: a mode never makes creations impossible, and a value a
`prefer_*_unless_blank` rule keeps out is logged as a conflict."""


async def test_a_person_created_while_last_name_is_not_synced_still_reaches_the_crm_with_a_last_name(e2e, http, api, email):
    policy = f"{e2e.gateway_url}/v1/field-policy"
    assert (await http.put(f"{policy}/last_name", json={"mode": "none"})).status_code == 200
    try:
        addr = email("no-last-name-sync")
        cand = await api.create("ats", first_name="Lasting", last_name="Name", emails=[addr])
        link = await api.link_of_candidate(cand["id"])
        prospect, _ = await api.get("crm", link["crm_prospect_id"])
        assert (prospect["first_name"], prospect["last_name"]) == ("Lasting", "Name")

        await api.patch("ats", cand["id"], last_name="Changed", first_name="Lasted")

        async def first_name_synced():
            p, _ = await api.get("crm", link["crm_prospect_id"])
            return p if p["first_name"] == "Lasted" else None
        synced = await e2e.wait_until(first_name_synced, 15, message="first_name synced")
        assert synced["last_name"] == "Name"  # `none`: changes are not carried
    finally:
        assert (await http.put(f"{policy}/last_name", json={"mode": "two_way"})).status_code == 200


async def test_a_source_kept_out_by_prefer_crm_unless_blank_is_logged_as_a_conflict(e2e, http, api, email):
    addr = email("prefer-crm")
    prospect = await api.create("crm", first_name="Pre", last_name="Fer", emails=[addr], source="referral")
    cand = await api.create("ats", first_name="Pre", last_name="Fer", emails=[addr])
    link = await api.link_of_candidate(cand["id"])
    assert link["crm_prospect_id"] == prospect["id"]

    async def first_touch_copied():
        c, _ = await api.get("ats", cand["id"])
        return c if c["source"] == "referral" else None
    await e2e.wait_until(first_touch_copied, 15, message="the CRM's first touch copied to the ATS")

    await api.patch("ats", cand["id"], source="event")

    async def logged():
        data = (await http.get(f"{e2e.gateway_url}/v1/conflicts", params={"candidate": cand["id"], "field": "source"})).json()["data"]
        return data or None
    conflicts = await e2e.wait_until(logged, 15, message="the kept-out source logged")
    c = conflicts[0]
    assert (c["rule"], c["winner"], c["ats_value"], c["crm_value"]) == ("prefer_crm_unless_blank", "crm", "event", "referral")
    p, _ = await api.get("crm", prospect["id"])
    assert p["source"] == "referral"
