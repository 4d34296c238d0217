"""API keys cannot escalate, On-Behalf-Of is accepted only from principals allowed to act for users (validated, and
recorded apart from the principal), and idempotency keys are scoped by the credential's id, not its name.
The ATS is the vehicle."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talent_dev.testing import is_problem


async def stored_key_names(platform_dbs, name: str) -> int:
    engine = create_async_engine(platform_dbs["ats"])
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT count(*) FROM api_keys WHERE name = :n"), {"n": name})).scalar_one()
    finally:
        await engine.dispose()


async def test_a_key_admin_key_may_grant_only_the_scopes_it_holds(replica, kit, platform_dbs):
    async with replica("ats") as c:
        keymaster = await kit.new_key(c, "keys:admin", "ats:read")
        as_keymaster = kit.bearer(keymaster["key"])
        name = f"escalated-{uuid.uuid4().hex[:6]}"
        body = is_problem(await c.post("/v1/api-keys", json={"name": name, "scopes": ["ats:read", "ats:write", "ats:eeo"]},
                                        headers=as_keymaster), 403)
        assert body["ungrantable_scopes"] == ["ats:eeo", "ats:write"]
        assert "ats:eeo" in body["detail"] and "ats:write" in body["detail"]
        assert await stored_key_names(platform_dbs, name) == 0
        # what it holds, it can pass on
        child = await kit.new_key(c, "ats:read", by=as_keymaster)
        assert child["scopes"] == ["ats:read"] and child["created_by"] == f"key:{keymaster['name']}"
        # OAuth clients follow the same rule
        body = is_problem(await c.post("/v1/oauth-clients", json={"name": name, "scopes": ["ats:audit"]},
                                        headers=as_keymaster), 403)
        assert body["ungrantable_scopes"] == ["ats:audit"]


async def test_the_admin_key_grants_any_scope_but_nobody_grants_everything(replica, kit):
    async with replica("ats") as c:
        everything = [s for s in ("ats:read", "ats:write", "ats:audit", "ats:eeo", "keys:admin", "act:on_behalf_of")]
        assert sorted((await kit.new_key(c, *everything))["scopes"]) == sorted(everything)
        body = is_problem(await c.post("/v1/api-keys", json={"name": "star", "scopes": ["*"]}, headers=kit.ADMIN), 422)
        assert body["errors"][0]["field"] == "scopes"


async def test_a_key_cannot_grant_a_higher_rate_limit_than_its_own(replica, kit):
    async with replica("ats") as c:
        keymaster = await kit.new_key(c, "keys:admin", rate_limit=50)
        body = is_problem(await c.post("/v1/api-keys", json={"name": "fast", "scopes": ["keys:admin"], "rate_limit": 51},
                                        headers=kit.bearer(keymaster["key"])), 403)
        assert "50" in body["detail"]
        assert (await kit.new_key(c, "keys:admin", by=kit.bearer(keymaster["key"]), rate_limit=50))["rate_limit"] == 50


async def test_listing_and_revoking_keys_needs_keys_admin(replica, kit):
    async with replica("ats") as c:
        reader = await kit.new_key(c, "ats:read", "ats:write")
        victim = await kit.new_key(c, "ats:read")
        is_problem(await c.get("/v1/api-keys", headers=kit.bearer(reader["key"])), 403)
        is_problem(await c.delete(f"/v1/api-keys/{victim['id']}", headers=kit.bearer(reader["key"])), 403)
        is_problem(await c.get("/v1/oauth-clients", headers=kit.bearer(reader["key"])), 403)
        assert (await c.get("/v1/candidates", headers=kit.bearer(victim["key"]))).status_code == 200


async def test_on_behalf_of_is_refused_from_a_key_not_allowed_to_act_for_users(replica, kit):
    async with replica("ats") as c:
        writer = await kit.new_key(c, "ats:read", "ats:write")
        body = is_problem(await c.post("/v1/jobs", json={"title": "Forged"},
                                        headers=kit.bearer(writer["key"], **{"On-Behalf-Of": "ceo@example.com"})), 403)
        assert body["required_scope"] == "act:on_behalf_of"
        listed = (await c.get("/v1/jobs?limit=200", headers=kit.ADMIN)).json()["data"]
        assert "Forged" not in [j["title"] for j in listed]


@pytest.mark.parametrize("value", ["a\x01b@example.com", "<script>@example.com", "x" * 201, "   ",
                                   "\xed\xa0\x80@example.com",  # a lone surrogate, UTF-8 encoded
                                   "\xff\xfe"])  # not UTF-8 at all
async def test_an_invalid_on_behalf_of_is_422_naming_the_header(replica, kit, value):
    async with replica("ats") as c:
        headers = [("Authorization", f"Bearer {kit.ADMIN_KEY}"), ("On-Behalf-Of", value.encode("latin-1"))]
        body = is_problem(await c.post("/v1/jobs", json={"title": "Obo"}, headers=headers), 422)
        assert [e["field"] for e in body["errors"]] == ["On-Behalf-Of"]


async def test_a_key_allowed_to_act_for_users_is_recorded_apart_from_the_user(replica, kit):
    async with replica("ats") as c:
        assistant = await kit.new_key(c, "ats:read", "ats:write", "ats:audit", "act:on_behalf_of")
        job = await c.post("/v1/jobs", json={"title": "For Rita"}, headers=[
            ("Authorization", f"Bearer {assistant['key']}"), ("On-Behalf-Of", " rita.müller@example.com ".encode())])
        assert job.status_code == 201, job.text
        assert job.json()["created_by"] == f"key:{assistant['name']}"
        trail = (await c.get("/v1/audit-events", params={"target_id": job.json()["id"]}, headers=kit.ADMIN)).json()["data"]
        assert [(e["actor"], e["on_behalf_of"]) for e in trail] == [(f"key:{assistant['name']}", "rita.müller@example.com")]


async def test_two_keys_with_one_name_never_share_stored_idempotent_responses(replica, kit):
    async with replica("ats") as c:
        name = f"twin-{uuid.uuid4().hex[:6]}"
        first, second = [await kit.new_key(c, "ats:read", "ats:write", name=name) for _ in range(2)]
        idem = {"Idempotency-Key": f"same-{uuid.uuid4()}"}
        body = {"first_name": "Ada", "last_name": "Lovelace", "emails": [f"a-{uuid.uuid4().hex[:8]}@example.com"]}
        r1 = await c.post("/v1/candidates", json=body, headers=kit.bearer(first["key"], **idem))
        r2 = await c.post("/v1/candidates", json=body, headers=kit.bearer(second["key"], **idem))
        assert r1.status_code == 201 and r2.status_code in (201, 409), r2.text
        assert "idempotent-replayed" not in r2.headers and r2.json().get("id") != r1.json()["id"]
        again = await c.post("/v1/candidates", json=body, headers=kit.bearer(first["key"], **idem))
        assert again.headers.get("idempotent-replayed") == "true" and again.json()["id"] == r1.json()["id"]
