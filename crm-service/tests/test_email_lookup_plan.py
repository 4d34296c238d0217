"""The email lookup the sync gateway and the backfill send (`GET /v1/prospects?email=…`, up to 50 addresses) is
answered from the emails index and never by walking the (created, id) index in order: PostgreSQL cannot tell how
few prospects an array of addresses matches, and walked the whole table for a lookup that found nobody."""
from __future__ import annotations

from sqlalchemy import text
from talent_dev.testing import statements_sent


async def test_a_lookup_of_fifty_unknown_addresses_reads_the_emails_index(crm):
    engine = crm.app.state.engine
    async with engine.begin() as conn:
        await conn.execute(text("""INSERT INTO prospects (id, first_name, last_name, emails, phones, tags, skills, links,
            field_times, version, created_at, updated_at, created_by, updated_by, status, source)
            SELECT gen_random_uuid(), 'Plan', 'P' || i, ARRAY['plan-' || i || '@example.com'], '{}', '{}', '{}', '{}',
                   '{}', 1, now(), now(), 't', 't', 'active', 'sourced' FROM generate_series(1, 20000) AS i"""))
        await conn.execute(text("ANALYZE prospects"))
    wanted = [f"nobody-{i}@example.com" for i in range(49)] + ["plan-7@example.com"]
    with statements_sent(engine) as sent:
        r = await crm.client.get("/v1/prospects", params={"email": wanted, "limit": 200})
    assert r.status_code == 200, r.text
    assert [p["emails"] for p in r.json()["data"]] == [["plan-7@example.com"]]
    [*_, lookup] = [s for s in sent if "FROM prospects" in s.sql and "emails" in s.sql]
    statement, parameters = lookup.sql, lookup.parameters
    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        plan = "\n".join(row[0] for row in await raw.fetch("EXPLAIN " + statement, *parameters))
    assert "ix_prospects_emails" in plan and "ix_prospects_created" not in plan, plan
    assert "Seq Scan on prospects" not in plan, plan
