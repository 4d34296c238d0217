"""`PUT /v1/field-policy/{field}` accepts only modes that fit the field; the catalogue says what carries each field."""
import pytest
from talent_dev.testing import is_problem


@pytest.fixture(scope="module")
async def gw(start_gateway):
    async with start_gateway("field_policy") as running:
        yield running


@pytest.mark.parametrize(("field", "mode"), [("first_name", "union"), ("headline", "union"), ("emails", "two_way"),
                                             ("tags", "prefer_crm_unless_blank"), ("phones", "prefer_ats_unless_blank")])
async def test_a_mode_that_does_not_fit_the_fields_kind_is_refused_naming_mode(gw, field, mode):
    before = {p["field"]: p["mode"] for p in (await gw.client.get("/v1/field-policy")).json()}
    body = is_problem(await gw.client.put(f"/v1/field-policy/{field}", json={"mode": mode}), 422, field="mode")
    assert mode in body["detail"]
    after = {p["field"]: p["mode"] for p in (await gw.client.get("/v1/field-policy")).json()}
    assert after == before  # nothing stored


@pytest.mark.parametrize(("field", "mode"), [("hire", "crm"), ("application_status", "none"), ("eeo_answers", "ats"),
                                             ("scorecards", "union"), ("talent_stage", "crm")])
async def test_fields_carried_by_the_flows_or_never_synced_keep_their_mode(gw, field, mode):
    is_problem(await gw.client.put(f"/v1/field-policy/{field}", json={"mode": mode}), 422, field="mode")


async def test_a_fitting_mode_is_accepted_and_shown_with_what_is_allowed(gw):
    changed = await gw.client.put("/v1/field-policy/headline", json={"mode": "prefer_ats_unless_blank"})
    assert changed.status_code == 200, changed.text
    assert (changed.json()["mode"], changed.json()["previous_mode"]) == ("prefer_ats_unless_blank", "two_way")
    policy = {p["field"]: p for p in (await gw.client.get("/v1/field-policy")).json()}
    assert policy["headline"]["mode"] == "prefer_ats_unless_blank"
    assert "union" not in policy["headline"]["allowed_modes"] and "two_way" in policy["headline"]["allowed_modes"]
    assert policy["emails"]["allowed_modes"] == ["union", "ats", "crm", "none"]
    assert policy["hire"]["allowed_modes"] == ["ats"] and policy["hire"]["carried_by"] == "flows"
    assert policy["eeo_answers"]["carried_by"] == "nothing" and policy["eeo_answers"]["mode"] == "none"
    assert (await gw.client.put("/v1/field-policy/emails", json={"mode": "none"})).status_code == 200
    assert (await gw.client.put("/v1/field-policy/last_name", json={"mode": "none"})).status_code == 200


async def test_unknown_fields_and_modes_are_refused(gw):
    is_problem(await gw.client.put("/v1/field-policy/no_such_field", json={"mode": "none"}), 404)
    is_problem(await gw.client.put("/v1/field-policy/headline", json={"mode": "sometimes"}), 422, field="mode")
