"""`/v1/prospects` end to end (the profile logic is shared with the ATS and tested there in depth)."""
from __future__ import annotations

import json

import pytest
from cloudevents.v1.kafka import KafkaMessage, from_binary
from shared_schemas.events.crm import ProspectCreatedV1, ProspectUpdatedV1
from talent_dev.testing import opened_data


async def test_create_get_patch_round_trip(crm):
    body = crm.body(emails=["Grace.Hopper+" + crm.body()["emails"][0]])
    r = await crm.client.post("/v1/prospects", json=body, headers={"Idempotency-Key": body["emails"][0]})
    assert r.status_code == 201, r.text
    p = r.json()
    assert r.headers["location"] == f"/v1/prospects/{p['id']}" and r.headers["etag"] == '"1"'
    assert p["source"] == "sourced" and p["emails"] == [body["emails"][0].lower()]
    assert p["created_by"] == "admin" and p["version"] == 1
    g = await crm.client.get(r.headers["location"])
    assert g.status_code == 200 and g.json() == p and g.headers["etag"] == '"1"'
    found = await crm.client.get("/v1/prospects", params={"email": body["emails"][0].upper()})
    assert [x["id"] for x in found.json()["data"]] == [p["id"]]

    u = await crm.client.patch(r.headers["location"], json={"source": "referral", "tags": ["cobol", "navy"]},
                               headers={"If-Match": '"1"'})
    assert u.status_code == 200, u.text
    assert u.json()["source"] == "referral" and u.json()["tags"] == ["cobol", "navy"] and u.headers["etag"] == '"2"'
    stale = await crm.client.patch(r.headers["location"], json={"headline": "x"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 412 and stale.headers["content-type"].startswith("application/problem+json")
    assert (await crm.client.get(r.headers["location"])).json() == u.json()
    same = await crm.client.patch(r.headers["location"], json={"source": "referral"}, headers={"If-Match": '"2"'})
    assert same.status_code == 200 and same.json()["version"] == 2


async def test_repeated_email_finds_the_prospects_having_any_of_the_addresses_in_one_page(crm):
    ada, grace, other = (crm.body() for _ in range(3))
    made = [(await crm.client.post("/v1/prospects", json=b)).json() for b in (ada, grace, other)]
    r = await crm.client.get("/v1/prospects", params={"email": [grace["emails"][0].upper(), ada["emails"][0],
                                                                 "nobody@example.com"], "limit": 1})
    assert r.status_code == 200, r.text
    assert [x["id"] for x in r.json()["data"]] == [made[0]["id"]]  # oldest first
    rest = await crm.client.get(r.json()["next"])
    assert [x["id"] for x in rest.json()["data"]] == [made[1]["id"]] and rest.json()["next"] is None
    many = await crm.client.get("/v1/prospects", params={"email": [f"p{i}@example.com" for i in range(201)]})  # over MAX_EMAILS
    assert many.status_code == 422 and [e["field"] for e in many.json()["errors"]] == ["email"]


@pytest.mark.parametrize("method", ["post", "patch"])
async def test_invalid_source_is_422_naming_source(crm, method):
    if method == "post":
        r = await crm.client.post("/v1/prospects", json=crm.body(source="linkedin"))
    else:
        created = await crm.client.post("/v1/prospects", json=crm.body())
        r = await crm.client.patch(created.headers["location"], json={"source": "SOURCED"}, headers={"If-Match": '"1"'})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert [e["field"] for e in r.json()["errors"]] == ["source"]
    assert "sourced" in r.json()["errors"][0]["message"]  # tells the caller what is allowed


async def test_create_and_update_publish_cloudevents_on_crm_prospects(crm):
    r = await crm.client.post("/v1/prospects", json=crm.body(source="event"))
    pid = r.json()["id"]
    u = await crm.client.patch(r.headers["location"], json={"headline": "Rear admiral"}, headers={"If-Match": '"1"'})
    assert u.status_code == 200
    records = await crm.events_for(pid, until=lambda rs: len(rs) >= 2)
    assert len(records) == 2
    seen = []
    for record, (ce_type, seq) in zip(records, [("crm.prospect.created.v1", "1"), ("crm.prospect.updated.v1", "2")]):
        headers = dict(record.headers)
        assert record.key == pid.encode()
        ce = from_binary(KafkaMessage(headers=headers, key=record.key, value=record.value))
        assert (ce["specversion"], ce["type"], ce["source"], ce["subject"]) == ("1.0", ce_type, "/crm", pid)
        assert ce["sequence"] == seq and ce["origin"] == "admin"
        assert ce.data == json.loads(record.value)
        assert "Rear admiral" not in record.value.decode()  # personal values travel sealed with the person's key
        seen.append(await opened_data(crm.client, record))
    created = ProspectCreatedV1.model_validate(seen[0])
    assert str(created.prospect.id) == pid and created.prospect.source == "event"
    updated = ProspectUpdatedV1.model_validate(seen[1])
    assert updated.changes["headline"].after == "Rear admiral" and updated.prospect.version == 2


async def test_the_email_filter_repeated_finds_prospects_having_any_of_the_addresses_page_by_page(crm):
    people = [(await crm.client.post("/v1/prospects", json=crm.body())).json() for _ in range(3)]
    emails = [p["emails"][0] for p in people]
    first = await crm.client.get("/v1/prospects", params={"email": [emails[0].upper(), emails[1], emails[2], "nobody@example.com"],
                                                         "limit": 2, "count": "true"})
    assert first.status_code == 200, first.text
    body = first.json()
    assert [p["id"] for p in body["data"]] == [people[0]["id"], people[1]["id"]] and body["total"] == 3
    rest = await crm.client.get("/v1/prospects", params={"email": [emails[0], emails[1], emails[2], "nobody@example.com"],
                                                        "limit": 2, "cursor": body["next_cursor"]})
    assert [p["id"] for p in rest.json()["data"]] == [people[2]["id"]] and rest.json()["total"] is None
    assert (await crm.client.get("/v1/prospects", params={"email": emails[1]})).json()["data"][0]["id"] == people[1]["id"]
    too_many = await crm.client.get("/v1/prospects", params={"email": [f"a{i}@example.com" for i in range(201)]})
    assert too_many.status_code == 422 and "email" in too_many.text
