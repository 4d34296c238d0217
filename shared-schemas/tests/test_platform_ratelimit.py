"""Rate limits per credential, shared by every replica through PostgreSQL and announced on every response; key
lookups are cached per process and revocation still takes effect. Two ATS apps on one database are two replicas."""
from __future__ import annotations

import asyncio
import time

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talent_dev.testing import is_problem

LIMITED = {"TALENT_RATE_LIMIT_PER_MINUTE": 5}


async def bucket_used(platform_dbs, key_id: str) -> int:
    engine = create_async_engine(platform_dbs["ats"])
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text("SELECT used FROM rate_limit_buckets WHERE bucket = :b"),
                                       {"b": f"key:{key_id}"})).scalar_one()
    finally:
        await engine.dispose()


async def test_two_replicas_enforce_one_limit_per_key(replica, kit):
    async with replica("ats", **LIMITED) as a, replica("ats", **LIMITED) as b:
        key = await kit.new_key(a, "ats:read")
        auth = kit.bearer(key["key"])
        statuses = [(await (a if i % 2 else b).get("/v1/candidates", headers=auth)).status_code for i in range(5)]
        assert statuses == [200] * 5
        for client in (a, b, a):
            r = await client.get("/v1/candidates", headers=auth)
            body = is_problem(r, 429)
            assert int(r.headers["retry-after"]) >= 1 and "5 requests per 60 s" in body["detail"]
            assert r.headers["ratelimit-limit"] == "5" and r.headers["ratelimit-remaining"] == "0"


async def test_every_response_announces_the_limit_what_is_left_and_when_it_resets(replica, kit):
    async with replica("ats", **LIMITED) as a:
        key = await kit.new_key(a, "ats:read")
        auth = kit.bearer(key["key"])
        seen = []
        for path in ("/v1/candidates", "/v1/candidates/00000000-0000-0000-0000-000000000000", "/v1/jobs"):
            r = await a.get(path, headers=auth)
            assert r.status_code in (200, 404), r.text  # errors announce it too
            assert r.headers["ratelimit-limit"] == "5" and 0 < int(r.headers["ratelimit-reset"]) <= 60
            assert r.headers["ratelimit-policy"] == "5;w=60"
            seen.append(int(r.headers["ratelimit-remaining"]))
        assert seen == [4, 3, 2]
        forbidden = await a.post("/v1/candidates", json={}, headers=auth)  # lacks ats:write: still counted
        assert forbidden.status_code == 403 and forbidden.headers["ratelimit-remaining"] == "1"


async def test_a_batch_spends_one_hit_per_item_of_the_budget_shared_by_replicas(replica, kit):
    def items(n: int) -> dict:
        return {"items": [{"op": "create", "body": {"first_name": "A", "last_name": "B"}} for _ in range(n)]}

    async with replica("ats", **LIMITED) as a, replica("ats", **LIMITED) as b:
        auth = kit.bearer((await kit.new_key(a, "ats:write"))["key"])
        first = await a.post("/v1/candidates/batch", json=items(4), headers=auth)
        assert first.status_code == 200 and first.json()["succeeded"] == 4, first.text
        second = await b.post("/v1/candidates/batch", json=items(2), headers=auth)  # one left: refused, nothing applied
        is_problem(second, 429)
        assert int(second.headers["retry-after"]) >= 1


async def test_a_limit_set_on_the_key_overrides_the_platform_default(replica, kit):
    async with replica("ats", **LIMITED) as a:
        roomy, tight = await kit.new_key(a, "ats:read", rate_limit=8), await kit.new_key(a, "ats:read", rate_limit=2)
        assert [(await a.get("/v1/jobs", headers=kit.bearer(tight["key"]))).status_code for _ in range(3)] == [200, 200, 429]
        assert [(await a.get("/v1/jobs", headers=kit.bearer(roomy["key"]))).status_code for _ in range(9)] == [200] * 8 + [429]
        listed = {k["id"]: k for k in (await a.get("/v1/api-keys", headers=kit.ADMIN)).json()}
        assert listed[roomy["id"]]["rate_limit"] == 8


async def test_the_bootstrapped_admin_key_is_unlimited(replica, kit):
    async with replica("ats", **LIMITED) as a:
        for _ in range(8):
            r = await a.get("/v1/jobs", headers=kit.ADMIN)
            assert r.status_code == 200 and "ratelimit-limit" not in r.headers


async def test_a_busy_key_costs_one_database_write_per_leased_slice_not_per_request(replica, kit, platform_dbs):
    async with replica("ats", TALENT_RATE_LIMIT_PER_MINUTE=100) as a:
        key = await kit.new_key(a, "ats:read")
        for _ in range(15):
            assert (await a.get("/v1/jobs", headers=kit.bearer(key["key"]))).status_code == 200
        assert await bucket_used(platform_dbs, key["id"]) == 20  # two slices of 10 leased, not 15 rows touched


async def test_revocation_is_immediate_where_it_happens_and_within_the_cache_time_elsewhere(replica, kit):
    async with (replica("ats") as here, replica("ats", TALENT_KEY_CACHE_SECONDS=300) as stale,
                replica("ats", TALENT_KEY_CACHE_SECONDS=0.5) as soon):
        key = await kit.new_key(here, "ats:read")
        auth = kit.bearer(key["key"])
        for client in (here, stale, soon):
            assert (await client.get("/v1/jobs", headers=auth)).status_code == 200
        assert (await here.delete(f"/v1/api-keys/{key['id']}", headers=kit.ADMIN)).status_code == 204
        is_problem(await here.get("/v1/jobs", headers=auth), 401)
        assert (await stale.get("/v1/jobs", headers=auth)).status_code == 200  # it trusts its cache for its TTL
        deadline = time.monotonic() + 10
        while (await soon.get("/v1/jobs", headers=auth)).status_code != 401:
            assert time.monotonic() < deadline, "the revoked key still works after its cache time"
            await asyncio.sleep(0.1)
