"""`/v1/candidates` end to end: real PostgreSQL, the real app with its outbox relay, real Kafka.

Every test makes its own candidates (unique emails), so the tests do not depend on each other's data."""
from __future__ import annotations

import asyncio
import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from ats.db import platform
from cloudevents.v1.kafka import KafkaMessage, from_binary
from shared_schemas.events.ats import CandidateCreatedV1, CandidateUpdatedV1
from sqlalchemy import func, select
from talent_dev.testing import is_problem, problem_fields


def b64(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


async def outbox_rows(ats) -> int:
    async with ats.engine.connect() as conn:
        return (await conn.execute(select(func.count()).select_from(platform.outbox))).scalar_one()


async def new_key(ats, *scopes: str) -> dict:
    r = await ats.client.post("/v1/api-keys", json={"name": f"it-{uuid.uuid4().hex[:8]}", "scopes": list(scopes)})
    assert r.status_code == 201, r.text
    return r.json()


# ------------------------------------------------------------------------------------------ create / read
async def test_create_returns_201_with_location_and_etag_and_get_returns_same_body_and_etag(ats):
    email = ats.new_email()
    r = await ats.client.post("/v1/candidates", json=ats.body(emails=[email.upper(), email], tags=["a", "a", "b"]))
    assert r.status_code == 201, r.text
    created = r.json()
    assert r.headers["location"] == f"/v1/candidates/{created['id']}"
    assert r.headers["etag"] == '"1"'
    assert created["version"] == 1
    assert created["emails"] == [email]  # lower-cased, de-duplicated
    assert created["tags"] == ["a", "b"]
    g = await ats.client.get(r.headers["location"])
    assert g.status_code == 200
    assert g.json() == created
    assert g.headers["etag"] == r.headers["etag"]


async def test_get_unknown_candidate_is_404_problem_and_bad_id_is_422(ats):
    is_problem(await ats.client.get(f"/v1/candidates/{uuid.uuid4()}"), 404)
    body = is_problem(await ats.client.get("/v1/candidates/not-a-uuid"), 422)
    assert "id" in problem_fields(body)


async def test_email_filter_finds_candidate_case_insensitively(ats):
    email = ats.new_email()
    cid = (await ats.create(emails=[email])).json()["id"]
    await ats.create()  # someone else
    for query in (email, email.upper(), f" {email.title()} "):
        r = await ats.client.get("/v1/candidates", params={"email": query})
        assert r.status_code == 200, r.text
        assert [c["id"] for c in r.json()["data"]] == [cid], query
    r = await ats.client.get("/v1/candidates", params={"email": "nobody-" + email})
    assert r.json()["data"] == [] and r.json()["next"] is None


# ------------------------------------------------------------------------------------------ pagination
async def test_list_with_limit_2_over_5_records_follows_next_to_the_end_without_duplicates(ats):
    since = datetime.now(UTC)
    made = [(await ats.create()).json()["id"] for _ in range(5)]
    url = "/v1/candidates?" + f"limit=2&updated_after={since.isoformat().replace('+00:00', 'Z')}"
    seen, pages = [], []
    while url:
        r = await ats.client.get(url)
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(len(page["data"]))
        seen += [c["id"] for c in page["data"]]
        if page["next"]:
            assert r.headers["link"] == f'<{page["next"]}>; rel="next"'
            assert page["next_cursor"]
        else:
            assert "link" not in r.headers and page["next_cursor"] is None
        url = page["next"]
    assert pages == [2, 2, 1]
    assert seen == made  # oldest first, each once


async def test_tampered_cursor_is_a_400_problem_naming_cursor(ats):
    for _ in range(3):
        await ats.create()
    first = (await ats.client.get("/v1/candidates", params={"limit": 1})).json()
    cursor = first["next_cursor"]
    flipped = cursor[:-3] + ("A" if cursor[-3] != "A" else "B") + cursor[-2:]
    for bad in ("not-a-cursor!!", "e30", b64([1, 2]), cursor[: len(cursor) // 2], flipped):
        r = await ats.client.get("/v1/candidates", params={"limit": 1, "cursor": bad})
        if r.status_code == 200 and bad == flipped:
            continue  # a flipped bit may still decode to a valid cursor; it must then not be a 500
        body = is_problem(r, 400)
        assert "cursor" in problem_fields(body), (bad, body)
    # a cursor used with other filters than it was issued for
    body = is_problem(await ats.client.get("/v1/candidates", params={"cursor": cursor, "email": ats.new_email()}), 400)
    assert "cursor" in problem_fields(body)


async def test_forged_cursor_with_a_bad_position_is_a_400_not_a_500(ats):
    await ats.create()
    for after in (["yesterday", str(uuid.uuid4())], [], ["2026-01-01T00:00:00+00:00", "not-a-uuid"]):
        r = await ats.client.get("/v1/candidates", params={"cursor": b64({"after": after, "filters": {}})})
        body = is_problem(r, 400)
        assert "cursor" in problem_fields(body), (after, body)


async def test_nul_character_in_input_is_a_422_not_a_500(ats):
    before = await ats.count()
    body = is_problem(await ats.client.post("/v1/candidates", json=ats.body(first_name="Ada\u0000")), 422)
    assert "first_name" in problem_fields(body)
    assert await ats.count() == before
    is_problem(await ats.client.get("/v1/candidates", params={"email": "a\x00@example.com"}), 422)


async def test_updated_after_returns_only_records_changed_after_the_time(ats):
    older = await ats.create()
    await asyncio.sleep(0.01)
    t1 = datetime.now(UTC)
    newer = (await ats.create()).json()["id"]

    async def ids_after(t: datetime) -> list[str]:
        r = await ats.client.get("/v1/candidates", params={"updated_after": t.isoformat(), "limit": 200})
        assert r.status_code == 200, r.text
        assert r.json()["next"] is None
        return [c["id"] for c in r.json()["data"]]

    assert await ids_after(t1) == [newer]
    p = await ats.client.patch(older.headers["location"], json={"headline": "Changed"},
                               headers={"If-Match": older.headers["etag"]})
    assert p.status_code == 200, p.text
    assert set(await ids_after(t1)) == {newer, older.json()["id"]}
    assert await ids_after(datetime.now(UTC) + timedelta(seconds=5)) == []
    is_problem(await ats.client.get("/v1/candidates", params={"updated_after": "last tuesday"}), 422)


# ------------------------------------------------------------------------------------------ PATCH + If-Match
async def test_patch_with_current_if_match_is_200_with_new_etag_and_version_plus_one(ats):
    c = await ats.create()
    r = await ats.client.patch(c.headers["location"], json={"headline": "CTO", "tags": ["lead"]},
                               headers={"If-Match": c.headers["etag"]})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 2 and r.headers["etag"] == '"2"'
    assert r.json()["headline"] == "CTO" and r.json()["tags"] == ["lead"]
    assert r.json()["first_name"] == c.json()["first_name"]  # left out = unchanged
    g = await ats.client.get(c.headers["location"])
    assert g.json() == r.json() and g.headers["etag"] == '"2"'


async def test_patch_with_stale_if_match_is_412_and_the_record_is_unchanged(ats):
    c = await ats.create()
    first = await ats.client.patch(c.headers["location"], json={"headline": "One"}, headers={"If-Match": '"1"'})
    assert first.status_code == 200
    r = await ats.client.patch(c.headers["location"], json={"headline": "Two"}, headers={"If-Match": '"1"'})
    body = is_problem(r, 412)
    assert r.headers["etag"] == '"2"' and body.get("current_etag") == '"2"'
    g = await ats.client.get(c.headers["location"])
    assert g.json() == first.json()


async def test_two_concurrent_patches_with_the_same_if_match_one_wins_one_gets_412(ats):
    c = await ats.create()
    a, b = await asyncio.gather(*(ats.client.patch(c.headers["location"], json={"headline": h},
                                                   headers={"If-Match": c.headers["etag"]}) for h in ("A", "B")))
    assert sorted((a.status_code, b.status_code)) == [200, 412], (a.text, b.text)
    winner = a if a.status_code == 200 else b
    g = await ats.client.get(c.headers["location"])
    assert g.json() == winner.json() and g.json()["version"] == 2


async def test_patch_without_if_match_is_428(ats):
    c = await ats.create()
    is_problem(await ats.client.patch(c.headers["location"], json={"headline": "x"}), 428)
    assert (await ats.client.get(c.headers["location"])).json() == c.json()


async def test_patch_first_name_null_is_422_naming_the_field(ats):
    c = await ats.create()
    r = await ats.client.patch(c.headers["location"], json={"first_name": None}, headers={"If-Match": c.headers["etag"]})
    body = is_problem(r, 422)
    assert problem_fields(body) == {"first_name"}
    assert (await ats.client.get(c.headers["location"])).json() == c.json()


async def test_patch_can_clear_an_optional_field_with_null(ats):
    c = await ats.create(location="Paris")
    r = await ats.client.patch(c.headers["location"], json={"location": None}, headers={"If-Match": c.headers["etag"]})
    assert r.status_code == 200 and r.json()["location"] is None and r.json()["version"] == 2


async def test_malformed_json_is_a_400_problem(ats):
    before = await ats.count()
    for raw in (b'{"first_name": "Ada",', b"{'first_name': 'Ada'}", b"\xff\xfe"):
        r = await ats.client.post("/v1/candidates", content=raw, headers={"Content-Type": "application/json"})
        body = is_problem(r, 400)
        assert "body" in problem_fields(body)
    c = await ats.create()
    r = await ats.client.patch(c.headers["location"], content=b"{", headers={"Content-Type": "application/json",
                                                                           "If-Match": c.headers["etag"]})
    is_problem(r, 400)
    assert await ats.count() == before + 1


INVALID_BODIES = {
    "wrong types": ({"first_name": 123, "last_name": ["x"], "tags": "python", "emails": "a@example.com"},
                    {"first_name", "last_name", "tags", "emails"}),
    "unknown field": ({"first_name": "Ada", "last_name": "L", "salary": 100000}, {"salary"}),
    "bad email": ({"first_name": "Ada", "last_name": "L", "emails": ["ok@example.com", "not-an-email"]}, {"emails.1"}),
    "missing required + bad phone": ({"last_name": "L", "phones": ["call me"]}, {"first_name", "phones.0"}),
    "blank name": ({"first_name": "   ", "last_name": "L"}, {"first_name"}),
}


@pytest.mark.parametrize("case", INVALID_BODIES)
async def test_invalid_body_is_422_with_an_error_per_field_and_nothing_stored(ats, case):
    payload, fields = INVALID_BODIES[case]
    before, outbox_before = await ats.count(), await outbox_rows(ats)
    r = await ats.client.post("/v1/candidates", json=payload, headers={"Idempotency-Key": str(uuid.uuid4())})
    body = is_problem(r, 422)
    assert problem_fields(body) == fields, body["errors"]
    assert all(e["message"] for e in body["errors"])
    assert await ats.count() == before
    assert await outbox_rows(ats) == outbox_before


# ------------------------------------------------------------------------------------------ Idempotency-Key
async def test_idempotency_key_replay_returns_the_same_record_with_replayed_header(ats):
    key, body = str(uuid.uuid4()), ats.body()
    before = await ats.count()
    first = await ats.client.post("/v1/candidates", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    again = await ats.client.post("/v1/candidates", json=dict(reversed(body.items())), headers={"Idempotency-Key": key})
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"] and again.json() == first.json()
    assert again.headers["location"] == first.headers["location"] and again.headers["etag"] == first.headers["etag"]
    assert await ats.count() == before + 1
    r = await ats.client.get("/v1/candidates", params={"email": body["emails"][0]})
    assert len(r.json()["data"]) == 1


async def test_same_idempotency_key_with_a_different_body_is_422_and_no_second_record(ats):
    key = str(uuid.uuid4())
    first = await ats.client.post("/v1/candidates", json=ats.body(), headers={"Idempotency-Key": key})
    assert first.status_code == 201
    before = await ats.count()
    other = ats.body()
    body = is_problem(await ats.client.post("/v1/candidates", json=other, headers={"Idempotency-Key": key}), 422)
    assert "Idempotency-Key" in problem_fields(body)
    assert await ats.count() == before
    assert (await ats.client.get("/v1/candidates", params={"email": other["emails"][0]})).json()["data"] == []


async def test_two_concurrent_posts_with_the_same_idempotency_key_create_one_record(ats):
    key, body = str(uuid.uuid4()), ats.body()
    before = await ats.count()
    a, b = await asyncio.gather(*(ats.client.post("/v1/candidates", json=body, headers={"Idempotency-Key": key})
                                  for _ in range(2)))
    assert (a.status_code, b.status_code) == (201, 201), (a.text, b.text)
    assert a.json()["id"] == b.json()["id"]
    assert sorted(r.headers.get("idempotent-replayed", "") for r in (a, b)) == ["", "true"]
    assert await ats.count() == before + 1


async def test_failed_request_does_not_burn_its_idempotency_key(ats):
    key = str(uuid.uuid4())
    bad = ats.body(emails=["nope"])
    is_problem(await ats.client.post("/v1/candidates", json=bad, headers={"Idempotency-Key": key}), 422)
    good = await ats.client.post("/v1/candidates", json=ats.body(), headers={"Idempotency-Key": key})
    assert good.status_code == 201 and "idempotent-replayed" not in good.headers


# ------------------------------------------------------------------------------------------ auth
async def test_no_api_key_is_401_problem_with_www_authenticate(ats):
    for r in (await ats.anon.get("/v1/candidates"),
              await ats.anon.post("/v1/candidates", json=ats.body()),
              await ats.anon.get("/v1/candidates", headers={"Authorization": "Basic Zm9vOmJhcg=="})):
        is_problem(r, 401)
        assert r.headers["www-authenticate"].startswith("Bearer")
    r = await ats.anon.get("/v1/candidates", headers=ats.auth("tk_made_up"))
    is_problem(r, 401)
    assert "invalid_token" in r.headers["www-authenticate"]


async def test_read_only_key_can_get_but_post_and_patch_are_403_naming_the_scope(ats):
    key = await new_key(ats, "ats:read")
    assert key["key"].startswith(key["prefix"]) and key["scopes"] == ["ats:read"]
    c = await ats.create()
    g = await ats.anon.get(c.headers["location"], headers=ats.auth(key["key"]))
    assert g.status_code == 200 and g.json()["id"] == c.json()["id"]
    assert (await ats.anon.get("/v1/candidates", headers=ats.auth(key["key"]))).status_code == 200
    before = await ats.count()
    body = is_problem(await ats.anon.post("/v1/candidates", json=ats.body(), headers=ats.auth(key["key"])), 403)
    assert "ats:write" in body["detail"] and body.get("required_scope") == "ats:write"
    r = await ats.anon.patch(c.headers["location"], json={"headline": "x"},
                             headers={**ats.auth(key["key"]), "If-Match": c.headers["etag"]})
    is_problem(r, 403)
    assert await ats.count() == before
    # and it cannot mint keys for itself
    is_problem(await ats.anon.post("/v1/api-keys", json={"name": "x", "scopes": ["ats:write"]},
                                   headers=ats.auth(key["key"])), 403)


async def test_unknown_scope_is_422(ats):
    body = is_problem(await ats.client.post("/v1/api-keys", json={"name": "x", "scopes": ["ats:everything"]}), 422)
    assert "scopes" in problem_fields(body)


async def test_revoked_key_is_401(ats):
    key = await new_key(ats, "ats:read")
    assert (await ats.anon.get("/v1/candidates", headers=ats.auth(key["key"]))).status_code == 200
    d = await ats.client.delete(f"/v1/api-keys/{key['id']}")
    assert d.status_code == 204
    r = await ats.anon.get("/v1/candidates", headers=ats.auth(key["key"]))
    is_problem(r, 401)
    assert "www-authenticate" in r.headers
    listed = {k["id"]: k for k in (await ats.client.get("/v1/api-keys")).json()}
    assert listed[key["id"]]["revoked_at"] is not None and "key" not in listed[key["id"]]
    is_problem(await ats.client.delete(f"/v1/api-keys/{uuid.uuid4()}"), 404)


async def test_every_write_records_the_acting_principal(ats):
    writer = await new_key(ats, "ats:read", "ats:write")
    c = await ats.create()
    assert c.json()["created_by"] == "admin" and c.json()["updated_by"] == "admin"
    r = await ats.anon.patch(c.headers["location"], json={"headline": "By key"},
                             headers={**ats.auth(writer["key"]), "If-Match": c.headers["etag"]})
    assert r.status_code == 200, r.text
    assert r.json()["created_by"] == "admin" and r.json()["updated_by"] == f"key:{writer['name']}"
    r2 = await ats.client.patch(c.headers["location"], json={"headline": "For alice"},
                                headers={"If-Match": r.headers["etag"], "On-Behalf-Of": "alice@corp.example"})
    assert r2.json()["updated_by"] == "admin"  # the principal only: the user it acted for is in the audit trail
    by_key = await ats.anon.post("/v1/candidates", json=ats.body(), headers=ats.auth(writer["key"]))
    assert by_key.json()["created_by"] == by_key.json()["updated_by"] == f"key:{writer['name']}"
    assert (await ats.client.get(c.headers["location"])).json()["updated_by"] == "admin"


# ------------------------------------------------------------------------------------------ events
def _check_cloudevent(record, candidate_id: str, *, ce_type: str, sequence: int) -> dict:
    headers = {k: v for k, v in record.headers}
    h = {k: v.decode() for k, v in headers.items()}
    assert record.key == candidate_id.encode()
    assert h["ce_specversion"] == "1.0" and h["ce_type"] == ce_type and h["ce_source"] == "/ats"
    assert h["ce_subject"] == candidate_id and h["ce_sequence"] == str(sequence) and h["ce_origin"] == "admin"
    uuid.UUID(h["ce_id"])
    t = datetime.fromisoformat(h["ce_time"])
    assert abs(datetime.now(UTC) - t) < timedelta(minutes=5)
    # the official SDK reads it
    ce = from_binary(KafkaMessage(headers=headers, key=record.key, value=record.value))
    assert ce["specversion"] == "1.0" and ce["id"] == h["ce_id"] and ce["type"] == ce_type
    assert ce["source"] == "/ats" and ce["subject"] == candidate_id and ce["sequence"] == str(sequence)
    assert ce["datacontenttype"] == "application/json"
    assert ce.data == json.loads(record.value)
    return ce.data


async def test_create_and_update_each_publish_exactly_one_cloudevent(ats):
    c = await ats.create()
    cid = c.json()["id"]
    [created] = await ats.events_for(cid, until=lambda rs: len(rs) >= 1)
    _check_cloudevent(created, cid, ce_type="ats.candidate.created.v1", sequence=1)
    assert c.json()["emails"][0] not in created.value.decode()  # sealed on the wire; the person's key opens it
    data = CandidateCreatedV1.model_validate(await ats.opened(created))
    assert str(data.candidate.id) == cid and data.candidate.version == 1
    assert data.candidate.emails == c.json()["emails"] and data.candidate.first_name == c.json()["first_name"]

    u = await ats.client.patch(c.headers["location"], json={"headline": "CTO"}, headers={"If-Match": '"1"'})
    assert u.status_code == 200
    # a third write as a sentinel: once its event is there, every earlier event of this key is too (one partition)
    s = await ats.client.patch(c.headers["location"], json={"location": "Berlin"}, headers={"If-Match": '"2"'})
    assert s.status_code == 200
    records = await ats.events_for(cid, until=lambda rs: any(dict(r.headers)["ce_sequence"] == b"3" for r in rs))
    assert [dict(r.headers)["ce_sequence"] for r in records] == [b"1", b"2", b"3"]
    assert len({dict(r.headers)["ce_id"] for r in records}) == 3
    _check_cloudevent(records[1], cid, ce_type="ats.candidate.updated.v1", sequence=2)
    updated = CandidateUpdatedV1.model_validate(await ats.opened(records[1]))
    assert str(updated.candidate_id) == cid
    assert {k: (v.before, v.after) for k, v in updated.changes.items()} == {"headline": ("Engineer", "CTO")}
    assert updated.candidate.version == 2 and updated.candidate.headline == "CTO"


async def test_patch_that_changes_nothing_publishes_nothing_and_keeps_the_version(ats):
    c = await ats.create(headline="Same")
    cid = c.json()["id"]
    same = {"headline": "Same", "first_name": c.json()["first_name"], "emails": c.json()["emails"]}
    r = await ats.client.patch(c.headers["location"], json=same, headers={"If-Match": '"1"'})
    assert r.status_code == 200, r.text
    assert r.json()["version"] == 1 and r.headers["etag"] == '"1"'
    assert r.json()["updated_at"] == c.json()["updated_at"]
    sentinel = await ats.client.patch(c.headers["location"], json={"headline": "Different"}, headers={"If-Match": '"1"'})
    assert sentinel.json()["version"] == 2
    records = await ats.events_for(cid, until=lambda rs: any(dict(r.headers)["ce_sequence"] == b"2" for r in rs))
    assert [(dict(r.headers)["ce_type"], dict(r.headers)["ce_sequence"]) for r in records] == [
        (b"ats.candidate.created.v1", b"1"), (b"ats.candidate.updated.v1", b"2")]


# ------------------------------------------------------------------------------------------ OpenAPI
async def test_openapi_documents_every_error_answer_as_a_problem_document(ats):
    doc = (await ats.anon.get("/openapi.json")).json()
    assert {"type", "title", "status"} <= set(doc["components"]["schemas"]["Problem"]["properties"])
    for path, item in doc["paths"].items():
        for method, op in ((m, o) for m, o in item.items() if m in ("get", "post", "put", "patch", "delete")):
            where = f"{method.upper()} {path}"
            if op.get("security"):
                assert {"401", "403", "429"} <= set(op["responses"]), where
            if "{" in path:
                assert "404" in op["responses"], where
            if "requestBody" in op and path != "/oauth/token":  # RFC 6749 shapes the token endpoint's errors
                assert {"400", "413", "422"} <= set(op["responses"]), where
            for status, answer in op["responses"].items():
                if status[0] in "45" and path != "/oauth/token":
                    assert list(answer["content"]) == ["application/problem+json"], (where, status)


async def test_openapi_documents_every_v1_operation_with_a_description_and_bearer_security(ats):
    r = await ats.anon.get("/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    ops = [(path, method, op) for path, item in doc["paths"].items() if path.startswith("/v1/")
           for method, op in item.items() if method in ("get", "post", "put", "patch", "delete")]
    assert {(p, m) for p, m, _ in ops} >= {("/v1/candidates", "post"), ("/v1/candidates", "get"),
                                            ("/v1/candidates/{id}", "get"), ("/v1/candidates/{id}", "patch")}
    for path, method, op in ops:
        assert (op.get("description") or "").strip(), f"{method.upper()} {path} has no description"
        assert "security" in op, f"{method.upper()} {path} declares no security"
        if op["security"] == []:  # declared public on purpose: it must then really work without a key
            if method == "get" and "{" not in path:
                assert (await ats.anon.get(path)).status_code != 401, f"{path} is documented public but wants a key"
            continue
        for requirement in op["security"]:
            for name in requirement:
                assert (schemes[name]["type"], schemes[name].get("scheme")) in (("http", "bearer"), ("oauth2", None))
    for path, method, scope in (("/v1/candidates", "post", "ats:write"), ("/v1/candidates", "get", "ats:read"),
                                ("/v1/candidates/{id}", "get", "ats:read"), ("/v1/candidates/{id}", "patch", "ats:write")):
        assert doc["paths"][path][method]["security"] == [{"apiKey": []}, {"oauth2": [scope]}]
    headers = {p["name"].lower() for p in doc["paths"]["/v1/candidates"]["post"].get("parameters", [])}
    assert "idempotency-key" in headers
    assert "if-match" in {p["name"].lower() for p in doc["paths"]["/v1/candidates/{id}"]["patch"].get("parameters", [])}
