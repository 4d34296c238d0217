"""The resume excerpt the gateway's resume flow puts on a prospect: the latest read wins, the embedding is computed
with it, an erasure forgets it, and bodies that make no sense are 422 problems."""
from __future__ import annotations

import hashlib
import uuid

from crm.embeddings.text import prospect_text
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from .test_prospect_search import create, wait_until_embedded


def excerpt(body: str, read_at: str, resume_id: uuid.UUID | None = None) -> dict:
    return {"text": body, "resume_id": str(resume_id or uuid.uuid4()), "read_at": read_at}


async def test_the_latest_resume_read_wins_and_the_embedding_is_computed_with_it(crm):
    prospect = await create(crm, current_title="Cartographer", skills=["GIS"])
    url = f"/v1/prospects/{prospect['id']}/resume-text"
    assert (await crm.client.get(url)).status_code == 404
    newer = uuid.uuid4()
    r = await crm.client.put(url, json=excerpt("Maps glaciers with drones", "2026-11-02T10:00:00Z", newer))
    assert r.status_code == 200 and r.json()["resume_id"] == str(newer)
    r = await crm.client.put(url, json=excerpt("Older resume: surveys roads", "2026-11-01T10:00:00Z"))
    assert r.status_code == 200 and r.json()["text"] == "Maps glaciers with drones"  # read earlier: no change
    await wait_until_embedded(crm)
    engine = create_async_engine(crm.app.state.settings.database_url)
    try:
        async with engine.connect() as conn:
            digest = (await conn.execute(text("SELECT text_sha256 FROM prospect_embeddings WHERE prospect_id = :p"),
                                         {"p": prospect["id"]})).scalar_one()
    finally:
        await engine.dispose()
    embedded = prospect_text(headline=prospect["headline"], current_title="Cartographer", current_company=None,
                             skills=["GIS"], resume_text="Maps glaciers with drones")
    assert digest == hashlib.sha256(embedded.encode()).hexdigest()


async def test_an_erasure_forgets_the_excerpt_and_an_erased_prospect_takes_no_new_one(crm):
    prospect = await create(crm)
    url = f"/v1/prospects/{prospect['id']}/resume-text"
    assert (await crm.client.put(url, json=excerpt("Restores violins", "2026-11-02T10:00:00Z"))).status_code == 200
    r = await crm.client.post(f"/v1/prospects/{prospect['id']}/erase", json={"reason": "gdpr_request"},
                              headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 200, r.text
    assert (await crm.client.get(url)).status_code == 404
    assert (await crm.client.put(url, json=excerpt("Restores violins", "2026-11-03T10:00:00Z"))).status_code == 410


async def test_an_excerpt_that_makes_no_sense_is_a_422_problem(crm):
    prospect = await create(crm)
    url = f"/v1/prospects/{prospect['id']}/resume-text"
    for bad in (excerpt("x" * 4001, "2026-11-02T10:00:00Z"), excerpt("ok", "2026-11-02T10:00:00"),  # naive time
                {"text": "ok", "read_at": "2026-11-02T10:00:00Z"}, excerpt("ok", "yesterday"),
                {**excerpt("ok", "2026-11-02T10:00:00Z"), "resume_id": "nope"}, {}):
        r = await crm.client.put(url, json=bad)
        assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json"), bad
    r = await crm.client.put(f"/v1/prospects/{uuid.uuid4()}/resume-text", json=excerpt("ok", "2026-11-02T10:00:00Z"))
    assert r.status_code == 404
