"""What one write costs in round trips to PostgreSQL: a create with an Idempotency-Key sends the key's claim, the
row, and one closing statement holding everything else the transaction owes (outbox row with the relay's wake-up,
the new person's key, the stored response, the audit entry with its personal values, linked into the chain inside
the COMMIT), between BEGIN and COMMIT.
Counted on the app's own engine, on the request's connection (background workers share the engine)."""
from __future__ import annotations

import asyncio
import json
import uuid

from sqlalchemy import text
from talent_dev.testing import statements_sent


async def test_a_create_is_three_statements_the_last_holding_outbox_key_response_and_audit(ats):
    with statements_sent(ats.app.state.engine) as sent:
        r = await ats.client.post("/v1/candidates", json=ats.body(), headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    seen = sent.on_connection_of("INSERT INTO idempotency_keys")
    assert len(seen) == 3, seen
    claim, insert, closing = seen
    assert claim.startswith("INSERT INTO idempotency_keys"), claim
    assert insert.startswith("INSERT INTO candidates"), insert
    assert closing.startswith("WITH "), closing
    for part in ("INSERT INTO outbox", "pg_notify", "INSERT INTO subject_keys", "UPDATE idempotency_keys",
                 "INSERT INTO audit_pending"):
        assert part in closing, (part, closing)


async def test_what_the_closing_statement_wrote_holds_a_retry_the_chain_and_the_event(ats):
    key = uuid.uuid4().hex
    first = await ats.client.post("/v1/candidates", json=(body := ats.body()), headers={"Idempotency-Key": key})
    again = await ats.client.post("/v1/candidates", json=body, headers={"Idempotency-Key": key})
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again.headers["etag"] == first.headers["etag"]
    assert again.headers.get("idempotent-replayed") == "true"
    verified = await ats.client.get("/v1/audit-events/verify")
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
    entries = await ats.client.get("/v1/audit-events", params={"target_id": first.json()["id"]})
    assert [e["action"] for e in entries.json()["data"]] == ["candidate.created"], entries.text


async def test_an_uncommitted_write_holds_no_chain_lock_and_the_chain_links_in_commit_order(ats):
    """The chain's lock is taken inside COMMIT (the deferred trigger `audit_link`): a transaction that has written
    its entries but not committed yet blocks no other write. Both end on the chain, which verifies, in the order
    they committed, and nothing is left pending."""
    engine = ats.app.state.engine
    entry = {"occurred_at": "2026-12-03T00:00:00+00:00", "actor": "test", "action": "test.slow",
             "target_type": "test", "target_id": uuid.uuid4().hex, "changes": {}}
    canonical = json.dumps({**entry, "on_behalf_of": None, "request_id": None, "causation_id": None,
                            "subject_id": None, "personal_digest": None}, sort_keys=True, separators=(",", ":"))
    async with engine.connect() as slow:
        await slow.execute(text("INSERT INTO audit_pending (entry, canonical) VALUES (CAST(:e AS jsonb), :c)"),
                           {"e": json.dumps(entry), "c": canonical})
        fast = await asyncio.wait_for(ats.client.post("/v1/candidates", json=ats.body()), 10)
        assert fast.status_code == 201, fast.text
        await slow.commit()
    ids = []
    for target in (fast.json()["id"], entry["target_id"]):
        found = (await ats.client.get("/v1/audit-events", params={"target_id": target})).json()["data"]
        assert len(found) == 1, found
        ids.append(found[0]["id"])
    assert ids[0] < ids[1], ids  # the chain's order is the order of the COMMITs
    verified = await ats.client.get("/v1/audit-events/verify")
    assert verified.status_code == 200 and verified.json()["ok"] is True, verified.text
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT count(*) FROM audit_pending"))).scalar() == 0


async def test_a_batch_of_updates_reads_its_people_once_with_their_locks_and_writes_them_in_one_statement(ats):
    people = [(await ats.create()).json() for _ in range(5)]
    items = [{"op": "update", "id": p["id"], "if_match": f'"{p["version"]}"', "body": {"headline": f"Batch {i}"}}
             for i, p in enumerate(people)]
    with statements_sent(ats.app.state.engine) as sent:
        r = await ats.client.post("/v1/candidates/batch", json={"items": items})
    assert r.status_code == 200 and [i["status"] for i in r.json()["results"]] == [200] * 5, r.text
    reads = [s for s in sent.on_connection_of("UPDATE candidates") if s.startswith("SELECT") and "FROM candidates" in s]
    assert len(reads) == 1 and "FOR NO KEY UPDATE" in reads[0], reads  # one locking read for the five, none per item
    writes = [s for s in sent.on_connection_of("UPDATE candidates") if s.startswith("UPDATE candidates")]
    assert len(writes) == 1, writes  # the five rows in one executemany at the end of the batch's savepoint
    for p, i in zip(people, range(5)):
        assert (await ats.client.get(f"/v1/candidates/{p['id']}")).json()["headline"] == f"Batch {i}"
