"""Pooled connections are not pinged before use (a round trip per request); when the database drops them (a
restart, a failover, an idle timeout) the request that finds one dead gets a clean 503 to retry, nothing half
written, and the next requests get fresh connections."""
from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talent_dev.testing import is_problem


async def drop_every_connection_but_mine(url: str) -> int:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            killed = (await conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"))).scalar_one()
            await conn.commit()
        return killed
    finally:
        await engine.dispose()


async def test_a_request_on_a_connection_the_database_dropped_is_a_503_to_retry_and_the_retry_succeeds(
        replica, kit, platform_dbs):
    async with replica("ats") as c:
        email = f"lost-{uuid.uuid4().hex}@example.com"
        created = await c.post("/v1/candidates", json={"first_name": "Ada", "last_name": "Lost", "emails": [email]},
                               headers=kit.ADMIN)
        assert created.status_code == 201, created.text
        path = f"/v1/candidates/{created.json()['id']}"
        statuses = [(await c.get(path, headers=kit.ADMIN)).status_code for _ in range(3)]  # the pool holds connections
        assert statuses == [200, 200, 200]

        assert await drop_every_connection_but_mine(platform_dbs["ats"]) >= 1
        await asyncio.sleep(0.2)
        body = {"first_name": "Bea", "last_name": "Retry", "emails": [f"retry-{uuid.uuid4().hex}@example.com"]}
        first = await c.post("/v1/candidates", json=body, headers=kit.bearer(kit.ADMIN_KEY, **{"Idempotency-Key": "lost-1"}))
        problem = is_problem(first, 503)  # it met a dead pooled connection: nothing stored, retry as told
        assert problem["type"] == "/problems/database-unavailable" and first.headers["retry-after"] == "1"
        again = await c.post("/v1/candidates", json=body, headers=kit.bearer(kit.ADMIN_KEY, **{"Idempotency-Key": "lost-1"}))
        assert again.status_code == 201, again.text
        found = await c.get("/v1/candidates", params={"email": body["emails"][0]}, headers=kit.ADMIN)
        assert len(found.json()["data"]) == 1  # stored once
        for _ in range(3):
            assert (await c.get(path, headers=kit.ADMIN)).status_code == 200  # the pool replaced the dead ones
