"""`POST /v1/candidates/batch`: each item answered as its single request would be, atomic with its event."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import text
from talent_dev.testing import headers_of


def create(body: dict, **extra) -> dict:
    return {"op": "create", "body": body, **extra}


def update(id: str, body: dict, if_match: str | None = None, **extra) -> dict:
    return {"op": "update", "id": id, "body": body, **({"if_match": if_match} if if_match else {}), **extra}


async def batch(ats, items: list[dict], **kw):
    r = await ats.client.post("/v1/candidates/batch", json={"items": items}, **kw)
    assert r.status_code == 200, r.text
    return r.json()


async def test_a_mixed_batch_answers_each_item_as_its_single_request_would(ats):
    existing = (await ats.create()).json()
    invalid = ats.body(first_name="", emails=["not-an-email"])
    single = await ats.client.post("/v1/candidates", json=invalid)
    unknown = str(uuid.uuid4())
    out = await batch(ats, [
        create(ats.body(first_name="Grace")),
        create(invalid),
        update(existing["id"], {"headline": "Analyst"}, '"1"'),
        update(existing["id"], {"headline": "Stale"}, '"1"'),
        update(existing["id"], {"headline": "Blind"}),
        update(unknown, {"headline": "Nobody"}, '"1"'),
        {"op": "delete", "id": existing["id"]},
        update(existing["id"], {"location": "Paris"}, "not-an-etag", if_match_typo=True),
    ])
    statuses = [r["status"] for r in out["results"]]
    assert statuses == [201, 422, 200, 412, 428, 404, 422, 422]
    assert [r["index"] for r in out["results"]] == list(range(8))
    assert (out["succeeded"], out["failed"]) == (2, 6)

    made, bad, changed, stale, blind, missing, wrong_op, extra_field = out["results"]
    assert made["body"]["first_name"] == "Grace" and made["etag"] == '"1"'
    assert made["location"] == f"/v1/candidates/{made['body']['id']}"
    assert (await ats.client.get(made["location"])).json() == made["body"]
    # the same problem document as the single endpoint's, field by field
    assert single.status_code == 422
    assert bad["problem"]["errors"] == single.json()["errors"]
    assert {k: v for k, v in bad["problem"].items() if k != "errors"} == {
        k: v for k, v in single.json().items() if k != "errors"}
    assert changed["body"]["headline"] == "Analyst" and changed["etag"] == '"2"' and "location" not in changed
    assert stale["problem"]["type"] == "/problems/precondition-failed" and stale["problem"]["current_etag"] == '"2"'
    assert blind["problem"]["type"] == "/problems/precondition-required"
    assert missing["problem"]["instance"] == f"/v1/candidates/{unknown}"
    assert [(e["field"], e["location"]) for e in wrong_op["problem"]["errors"]] == [("op", "item")]
    assert ("if_match_typo", "item") in [(e["field"], e["location"]) for e in extra_field["problem"]["errors"]]
    now = (await ats.client.get(f"/v1/candidates/{existing['id']}")).json()
    assert now["headline"] == "Analyst" and now["version"] == 2 and now["location"] == existing["location"]


async def test_each_changed_item_emits_its_event_and_failed_items_none(ats):
    existing = (await ats.create()).json()
    out = await batch(ats, [update(existing["id"], {"headline": "One"}, '"1"'),
                            update(existing["id"], {"headline": "Two"}, '"2"'),
                            update(existing["id"], {"headline": "Stale"}, '"1"'),
                            update(existing["id"], {"headline": "Two"}, '"3"')])  # changes nothing: no event
    assert [r["status"] for r in out["results"]] == [200, 200, 412, 200]
    records = await ats.events_for(existing["id"], until=lambda rs: len(rs) >= 3)
    events = [(headers_of(r)["ce_type"], headers_of(r)["ce_sequence"], (await ats.opened(r))["changes"]["headline"]["after"]
               if headers_of(r)["ce_type"].endswith("updated.v1") else None) for r in records]
    assert events == [("ats.candidate.created.v1", "1", None), ("ats.candidate.updated.v1", "2", "One"),
                      ("ats.candidate.updated.v1", "3", "Two")]


async def test_idempotency_keys_are_shared_with_single_posts_and_replay_across_batches(ats):
    key, body = f"k-{uuid.uuid4()}", ats.body()
    first = await ats.client.post("/v1/candidates", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201
    fresh_key, fresh = f"k-{uuid.uuid4()}", ats.body()
    out = await batch(ats, [create(body, idempotency_key=key), create(ats.body(), idempotency_key=key),
                            create(fresh, idempotency_key=fresh_key), create(fresh, idempotency_key=fresh_key)])
    replayed, reused, made, repeated = out["results"]
    assert replayed["status"] == 201 and replayed["replayed"] is True and replayed["body"] == first.json()
    assert replayed["etag"] == first.headers["etag"] and replayed["location"] == first.headers["location"]
    assert reused["status"] == 422 and reused["problem"]["errors"][0]["type"] == "idempotency_key_reused"
    assert made["status"] == 201 and not made.get("replayed")
    assert repeated["replayed"] is True and repeated["body"]["id"] == made["body"]["id"]

    again = await batch(ats, [create(fresh, idempotency_key=fresh_key)])
    assert again["results"][0]["replayed"] is True and again["results"][0]["body"] == made["body"]
    single = await ats.client.post("/v1/candidates", json=fresh, headers={"Idempotency-Key": fresh_key})
    assert single.status_code == 201 and single.headers["idempotent-replayed"] == "true"
    assert single.json()["id"] == made["body"]["id"]
    assert len((await ats.client.get("/v1/candidates", params={"email": fresh["emails"][0]})).json()["data"]) == 1


async def test_the_batch_idempotency_key_header_replays_the_whole_response(ats):
    key, items = f"b-{uuid.uuid4()}", [create(ats.body()), create(ats.body())]
    first = await ats.client.post("/v1/candidates/batch", json={"items": items}, headers={"Idempotency-Key": key})
    again = await ats.client.post("/v1/candidates/batch", json={"items": items}, headers={"Idempotency-Key": key})
    assert again.status_code == 200 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    email = items[0]["body"]["emails"][0]
    assert len((await ats.client.get("/v1/candidates", params={"email": email})).json()["data"]) == 1


async def test_a_batch_of_500_creates_writes_500_events_in_item_order(ats):
    bodies = [ats.body(first_name=f"N{i}") for i in range(500)]
    out = await batch(ats, [create(b) for b in bodies])
    assert out["succeeded"] == 500 and {r["status"] for r in out["results"]} == {201}
    ids = [r["body"]["id"] for r in out["results"]]
    assert [r["body"]["first_name"] for r in out["results"]] == [f"N{i}" for i in range(500)]
    async with ats.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT aggregate_id, event_type FROM outbox WHERE aggregate_id = ANY(:ids) "
                                        "ORDER BY seq"), {"ids": ids})).all()
    assert [r.aggregate_id for r in rows] == ids and {r.event_type for r in rows} == {"ats.candidate.created.v1"}
    wanted = set(ids)
    records = await ats.events_for(ids[0], until=lambda rs: len(rs) >= 500, subjects=wanted)
    assert sorted(r.key.decode() for r in records) == sorted(ids)


async def test_501_items_are_refused_whole_and_nothing_is_stored(ats):
    bodies = [ats.body() for _ in range(501)]
    r = await ats.client.post("/v1/candidates/batch", json={"items": [create(b) for b in bodies]})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "items"
    found = await ats.client.get("/v1/candidates", params={"email": bodies[0]["emails"][0]})
    assert found.json()["data"] == []


async def test_a_batch_spends_one_hit_of_the_rate_limit_per_item_all_or_nothing(ats):
    r = await ats.client.post("/v1/api-keys", json={"name": f"rl-{uuid.uuid4().hex[:8]}", "scopes": ["ats:write", "ats:read"],
                                                     "rate_limit": 10})
    assert r.status_code == 201, r.text
    auth = ats.auth(r.json()["key"])
    ok = await ats.client.post("/v1/candidates/batch", json={"items": [create(ats.body()) for _ in range(6)]}, headers=auth)
    assert ok.status_code == 200 and ok.json()["succeeded"] == 6
    assert ok.headers["ratelimit-remaining"] == "4"
    bodies = [ats.body() for _ in range(5)]
    refused = await ats.client.post("/v1/candidates/batch", json={"items": [create(b) for b in bodies]}, headers=auth)
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert (await ats.client.get("/v1/candidates", params={"email": bodies[0]["emails"][0]})).json()["data"] == []
    # a refused request still costs one, as any request does: 3 left, then 2 after the next refusal
    too_big = await ats.client.post("/v1/candidates/batch", json={"items": [create(ats.body()) for _ in range(11)]}, headers=auth)
    assert too_big.status_code == 422 and too_big.json()["errors"][0]["field"] == "items"
    last = await ats.client.post("/v1/candidates/batch", json={"items": [create(ats.body()) for _ in range(2)]}, headers=auth)
    assert last.status_code == 200 and last.json()["succeeded"] == 2 and last.headers["ratelimit-remaining"] == "0"


async def test_source_times_per_item_are_for_the_sync_gateway_only(ats):
    existing = (await ats.create()).json()
    when = "2027-11-30T08:00:00+00:00"  # later than the record's own field times
    r = await ats.client.post("/v1/api-keys", json={"name": f"w-{uuid.uuid4().hex[:8]}", "scopes": ["ats:write"]})
    writer = ats.auth(r.json()["key"])
    refused = await ats.client.post("/v1/candidates/batch", headers=writer, json={"items": [
        update(existing["id"], {"headline": "X"}, '"1"', source_time=when)]})
    assert refused.status_code == 403 and refused.json()["required_scope"] == "sync:origin"

    cause = str(uuid.uuid4())  # the admin key holds every scope, `sync:origin` too
    r = await ats.client.post("/v1/candidates/batch", json={"items": [
        update(existing["id"], {"headline": "Synced", "location": "Oslo"}, '"1"', source_time=when, causation_id=cause,
               field_times={"location": "2027-11-29T08:00:00Z"}),
        create(ats.body(), source_time=when)]})
    assert r.status_code == 200, r.text
    changed, made = r.json()["results"]
    assert changed["status"] == 200 and made["status"] == 201
    times = {k: datetime.fromisoformat(v) for k, v in changed["body"]["field_times"].items()}
    assert times["headline"] == datetime(2027, 11, 30, 8, tzinfo=UTC) and times["location"] == datetime(2027, 11, 29, 8, tzinfo=UTC)
    records = await ats.events_for(existing["id"], until=lambda rs: len(rs) >= 2)
    assert headers_of(records[1])["ce_causationid"] == cause and headers_of(records[1])["ce_time"].startswith("2027-11-30T08:00:00")
    made_events = await ats.events_for(made["body"]["id"], until=lambda rs: len(rs) >= 1)
    assert headers_of(made_events[0])["ce_time"].startswith("2027-11-30T08:00:00")


async def test_erased_and_merged_candidates_refuse_changes_with_410_and_409_alone_and_in_a_batch(ats):
    c = ats.client
    erased, survivor, duplicate = [(await ats.create()).json() for _ in range(3)]
    r = await c.post(f"/v1/candidates/{erased['id']}/erase", json={"reason": "gdpr_request"},
                     headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 200, r.text
    r = await c.post(f"/v1/candidates/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]},
                     headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 200, r.text
    gone = await c.patch(f"/v1/candidates/{erased['id']}", json={"headline": "Back"}, headers={"If-Match": "*"})
    assert gone.status_code == 410 and gone.headers["content-type"].startswith("application/problem+json"), gone.text
    merged = await c.patch(f"/v1/candidates/{duplicate['id']}", json={"headline": "Twin"}, headers={"If-Match": "*"})
    assert merged.status_code == 409 and merged.json()["merged_into_id"] == survivor["id"], merged.text
    assert merged.headers["location"] == f"/v1/candidates/{survivor['id']}"
    out = await batch(ats, [update(erased["id"], {"headline": "Back"}, "*"), update(duplicate["id"], {"headline": "Twin"}, "*"),
                            update(survivor["id"], {"headline": "Still here"}, "*")])
    assert [r["status"] for r in out["results"]] == [410, 409, 200]
    after = (await c.get(f"/v1/candidates/{erased['id']}")).json()
    assert after["headline"] is None and after["first_name"] != erased["first_name"]  # nothing written back
