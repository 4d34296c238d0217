"""Flow 9 through the running services: a resume read in the ATS reaches the linked prospect in the CRM as an
excerpt without who the person is, and the prospect's embedding is computed with it; while the field policy's
`resume_text` is `none`, nothing of a resume leaves the ATS."""
from __future__ import annotations

import hashlib
import uuid

from crm.embeddings.text import prospect_text
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine


async def _upload(e2e, http, candidate_id: str, body: str) -> dict:
    r = await http.post(f"{e2e.ats_url}/v1/candidates/{candidate_id}/resumes",
                        files={"file": ("cv.txt", body.encode(), "text/plain")})
    assert r.status_code == 201, r.text
    return r.json()


async def _event_of(e2e, resume_id: str) -> str:
    async def found() -> str | None:
        records = await e2e.read_topic("ats.resumes")
        ids = [e2e.header(r, "ce_id") for r in records if resume_id.encode() in (r.value or b"")]
        return ids[0] if ids else None
    return await e2e.wait_until(found, 15, interval=0.3, message=f"the parsed event of resume {resume_id}")


async def test_a_resume_read_in_the_ats_reaches_the_linked_prospects_embedding_without_who_they_are(e2e, http, api,
                                                                                                   email):
    addr, marker = email("resume-text"), "zeppelin" + uuid.uuid4().hex[:8]
    cand = await api.create("ats", first_name="Rosalind", last_name="Franklin", emails=[addr])
    link = await api.link_of_candidate(cand["id"])
    prospect_id = link["crm_prospect_id"]
    resume = await _upload(e2e, http, cand["id"], f"Rosalind Franklin\n{addr} | +44 20 7946 0958\n"
                                                  f"Crystallographer studying {marker} structures with X-ray diffraction\n"
                                                  "Date of birth: 25 July 1920\n")

    async def excerpt() -> dict | None:
        r = await http.get(f"{e2e.crm_url}/v1/prospects/{prospect_id}/resume-text")
        return r.json() if r.status_code == 200 else None
    got = await e2e.wait_until(excerpt, 15, message="the resume excerpt on the prospect")
    assert got["resume_id"] == resume["id"] and marker in got["text"]
    for identity in ("Rosalind", "Franklin", addr, "7946", "1920"):
        assert identity not in got["text"]

    prospect = (await http.get(f"{e2e.crm_url}/v1/prospects/{prospect_id}")).json()
    embedded = prospect_text(headline=prospect["headline"], current_title=prospect["current_title"],
                             current_company=prospect["current_company"], skills=prospect["skills"],
                             resume_text=got["text"])  # the CRM's own rule for what it embeds
    assert marker in embedded
    engine = create_async_engine(e2e.database_urls["CRM_"])
    try:
        async def embedded_digest() -> str | None:
            async with engine.connect() as conn:
                return (await conn.execute(text("SELECT text_sha256 FROM prospect_embeddings WHERE prospect_id = :p"),
                                           {"p": prospect_id})).scalar()
        wanted = hashlib.sha256(embedded.encode()).hexdigest()
        await e2e.wait_until(lambda: _equals(embedded_digest(), wanted), 30, interval=0.5,
                             message="the prospect's embedding computed with the excerpt")
    finally:
        await engine.dispose()


async def _equals(value, wanted) -> bool:
    return await value == wanted


async def test_while_the_field_policy_says_none_no_resume_text_leaves_the_ats(e2e, http, api, email):
    policy = f"{e2e.gateway_url}/v1/field-policy/resume_text"
    assert (await http.put(policy, json={"mode": "none"})).status_code == 200
    try:
        cand = await api.create("ats", first_name="Kept", last_name="Inside", emails=[email("resume-none")])
        link = await api.link_of_candidate(cand["id"])
        resume = await _upload(e2e, http, cand["id"], "Glassblower shaping lenses for telescopes\n")
        event_id = await _event_of(e2e, resume["id"])
        engine = create_async_engine(e2e.database_urls["GATEWAY_"])
        try:
            async def processed() -> bool:
                async with engine.connect() as conn:
                    return bool((await conn.execute(text(
                        "SELECT 1 FROM processed_events WHERE consumer = 'sync-gateway' AND event_id = :e"),
                        {"e": event_id})).scalar())
            await e2e.wait_until(processed, 20, interval=0.3, message="the gateway done with the resume event")
        finally:
            await engine.dispose()
        r = await http.get(f"{e2e.crm_url}/v1/prospects/{link['crm_prospect_id']}/resume-text")
        assert r.status_code == 404
    finally:
        assert (await http.put(policy, json={"mode": "ats"})).status_code == 200
