"""Writes racing for one unique name: the database's constraint decides, and every loser gets a clean 409
problem+json (never a 500), with nothing of it stored."""
from __future__ import annotations

import asyncio
import uuid


async def test_pools_created_with_one_name_at_the_same_moment_make_one_pool_and_clean_conflicts(crm) -> None:
    for _ in range(5):
        name = f"race-{uuid.uuid4().hex[:8]}"
        answers = await asyncio.gather(*(crm.client.post("/v1/pools", json={"name": name}) for _ in range(6)))
        assert sorted(a.status_code for a in answers) == [201, 409, 409, 409, 409, 409], [a.text for a in answers]
        for lost in (a for a in answers if a.status_code == 409):
            assert lost.headers["content-type"] == "application/problem+json", lost.text
            assert lost.json()["type"] in ("/problems/conflict", "/problems/concurrent-change"), lost.text
        listed = await crm.client.get("/v1/pools", params={"limit": 200})
        assert [p["name"] for p in listed.json()["data"]].count(name) == 1
