"""`POST /v1/prospects/batch`: the CRM's guards answer per item as they do for a single PATCH."""
from __future__ import annotations

from talent_dev.testing import statements_sent


async def test_erased_and_merged_prospects_answer_410_and_409_per_item_and_the_others_apply(crm):
    erased, survivor, duplicate, live = [(await crm.client.post("/v1/prospects", json=crm.body())).json() for _ in range(4)]
    assert (await crm.client.post(f"/v1/prospects/{erased['id']}/erase", json={})).status_code == 200
    assert (await crm.client.post(f"/v1/prospects/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]})).status_code == 200
    single = await crm.client.patch(f"/v1/prospects/{duplicate['id']}", json={"headline": "x"}, headers={"If-Match": "*"})
    r = await crm.client.post("/v1/prospects/batch", json={"items": [
        {"op": "update", "id": erased["id"], "if_match": "*", "body": {"headline": "Back"}},
        {"op": "update", "id": duplicate["id"], "if_match": "*", "body": {"headline": "Twin"}},
        {"op": "update", "id": live["id"], "if_match": '"1"', "body": {"current_company": "Acme", "skills": ["cobol"]}},
        {"op": "create", "body": crm.body(source="linkedin")},
        {"op": "create", "body": crm.body(source="event", current_title="Admiral")},
    ]})
    assert r.status_code == 200, r.text
    gone, merged, changed, bad_source, made = r.json()["results"]
    assert gone["status"] == 410 and gone["problem"]["prospect_status"] == "erased"
    assert merged["status"] == 409 and merged["problem"]["merged_into_id"] == survivor["id"]
    assert {k: v for k, v in merged["problem"].items() if k != "instance"} == {
        k: v for k, v in single.json().items() if k != "instance"}
    assert changed["status"] == 200 and changed["body"]["current_company"] == "Acme" and changed["etag"] == '"2"'
    assert bad_source["status"] == 422 and [e["field"] for e in bad_source["problem"]["errors"]] == ["source"]
    assert made["status"] == 201 and made["body"]["current_title"] == "Admiral" and made["body"]["status"] == "active"
    records = await crm.events_for(made["body"]["id"], until=lambda rs: len(rs) >= 1)
    assert dict(records[0].headers)["ce_type"] == b"crm.prospect.created.v1"


async def test_a_create_unless_email_taken_answers_the_oldest_holder_and_creates_nothing(crm):
    older = (await crm.client.post("/v1/prospects", json=crm.body())).json()
    newer = (await crm.client.post("/v1/prospects", json=crm.body(emails=[older["emails"][0].upper()]))).json()
    fresh = crm.body()
    before = (await crm.client.get("/v1/prospects", params={"email": older["emails"][0]})).json()["data"]
    r = await crm.client.post("/v1/prospects/batch", json={"items": [
        {"op": "create", "unless_email_taken": True, "idempotency_key": "found-1",
         "body": crm.body(emails=["nobody-else@example.com", older["emails"][0]])},
        {"op": "create", "unless_email_taken": True, "body": fresh},
        {"op": "create", "unless_email_taken": True, "idempotency_key": "found-1",
         "body": crm.body(emails=["nobody-else@example.com", older["emails"][0]])},
    ]})
    assert r.status_code == 200, r.text
    found, made, again = r.json()["results"]
    assert found["status"] == 200 and found["existing"] is True and found["body"]["id"] == older["id"] != newer["id"]
    assert found["etag"] == '"1"' and found["location"] == f"/v1/prospects/{older['id']}"
    assert made["status"] == 201 and not made.get("existing") and made["body"]["emails"] == fresh["emails"]
    assert again["replayed"] is True and again["body"]["id"] == older["id"]
    after = (await crm.client.get("/v1/prospects", params={"email": older["emails"][0]})).json()["data"]
    assert [p["id"] for p in after] == [p["id"] for p in before]  # nothing created for the taken email


async def test_a_batch_of_creates_is_one_insert_with_the_art14_due_dates_and_no_update(crm):
    """The creates of a batch reach PostgreSQL as one multi-row INSERT that already carries each sourced prospect's
    Art. 14 due date (counted on the app's engine, on the request's connection)."""
    bodies = [crm.body(source="sourced") for _ in range(20)] + [crm.body(source="talent_community")]
    with statements_sent(crm.app.state.engine) as sent:
        r = await crm.client.post("/v1/prospects/batch", json={"items": [{"op": "create", "body": b} for b in bodies]})
    assert r.status_code == 200, r.text
    assert [x["status"] for x in r.json()["results"]] == [201] * 21
    statements = sent.on_connection_of("INSERT INTO prospects")
    assert len([s for s in statements if s.startswith("INSERT INTO prospects")]) == 1, statements
    assert not [s for s in statements if s.startswith("UPDATE prospects")], statements
    ids = [x["body"]["id"] for x in r.json()["results"]]
    listed = (await crm.client.get("/v1/compliance/art14", params={"status": "due", "limit": 200})).json()["data"]
    due = {row["prospect_id"]: row for row in listed}
    assert set(ids[:20]) <= set(due) and ids[20] not in due  # the community sign-up owes no Art. 14 notice
    made = r.json()["results"][0]["body"]
    assert due[ids[0]]["collected_at"] == made["created_at"]
    stored = (await crm.client.get(f"/v1/prospects/{ids[0]}")).json()
    assert stored == made



async def test_a_nul_character_in_one_item_refuses_the_batch_naming_the_field_and_stores_nothing(crm):
    """PostgreSQL cannot store a NUL character; the input guard refuses it before any item runs (the batch's
    INSERTs, which now go out together, are never reached), naming the item's field."""
    good = crm.body(source="sourced")
    r = await crm.client.post("/v1/prospects/batch", json={"items": [
        {"op": "create", "body": good},
        {"op": "create", "body": crm.body(source="sourced", headline="nul \u0000 here")},
    ]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), r.text
    assert [e["field"] for e in r.json()["errors"]] == ["items.1.body.headline"]
    listed = await crm.client.get("/v1/prospects", params={"email": good["emails"][0]})
    assert listed.json()["data"] == []
