"""Flow 5 on real search: an opened ATS job finds silver medalists and past prospects by hybrid search in SQL and
pgvector, and the recruiter's alert explains each match."""
from __future__ import annotations

import uuid

from crm.pools.models import SILVER_MEDALISTS_POOL_ID

from .test_prospect_search import create, wait_until_embedded

JOB = {"title": "Site Reliability Engineer", "description": "<p>Keep our Kubernetes clusters healthy; on call; "
       "Terraform for infrastructure.</p>", "requirements": {"must_have_skills": ["Kubernetes"],
       "nice_to_have_skills": ["Terraform"], "location": "Berlin", "remote": False}}


async def test_an_opened_job_alerts_its_recruiter_with_matching_silver_medalists_and_reasons(crm):
    tag = "rd-" + uuid.uuid4().hex[:6]
    silver = await create(crm, tags=[tag], current_title="Platform engineer", headline="Runs Kubernetes in production",
                          skills=["Kubernetes", "Terraform"], location="Berlin, Germany")
    r = await crm.client.post(f"/v1/pools/{SILVER_MEDALISTS_POOL_ID}/members", json={"prospect_id": silver["id"]})
    assert r.status_code in (201, 409), r.text
    past = await create(crm, tags=[tag], current_title="Site Reliability Engineer", headline="On-call and observability",
                        skills=["Prometheus"], location="Lisbon")
    unrelated = await create(crm, tags=[tag], current_title="Pastry chef", headline="Croissants and cakes", skills=["Baking"])
    hired = await create(crm, tags=[tag], current_title="Site Reliability Engineer", skills=["Kubernetes"])
    r = await crm.client.post(f"/v1/prospects/{hired['id']}/status-events", json={"kind": "hired", "job_id": str(uuid.uuid4())})
    assert r.status_code == 200, r.text
    await wait_until_embedded(crm)
    recruiter = f"rec-{uuid.uuid4().hex[:6]}@acme.io"
    r = await crm.client.post("/v1/rediscovery/job-openings", json={"job_id": str(uuid.uuid4()), "recruiter": recruiter, **JOB})
    assert r.status_code == 201, r.text
    alert = r.json()
    assert alert["kind"] == "job_matches" and alert["recipient"] == recruiter
    matches = {m["prospect_id"]: m for m in alert["data"]["matches"]}
    ranked = [m["prospect_id"] for m in alert["data"]["matches"]]
    assert ranked.index(silver["id"]) < ranked.index(past["id"])
    assert unrelated["id"] not in matches and hired["id"] not in matches
    reasons = matches[silver["id"]]["reasons"]
    assert "skills: Kubernetes, Terraform" in reasons and "silver medalist" in reasons
    assert "location: Berlin, Germany" in reasons and any(x.startswith("profile similar to the job") for x in reasons)
    assert "title: site, reliability, engineer" in matches[past["id"]]["reasons"]


async def test_rediscovery_finds_a_literal_match_before_its_embedding_exists(crm):
    prospect = await create(crm, current_title="Quantum annealing researcher", skills=["Qiskit"])
    r = await crm.client.get("/v1/rediscovery/matches", params={"title": "Quantum annealing researcher"})
    assert r.status_code == 200, r.text
    assert prospect["id"] in [m["prospect_id"] for m in r.json()]
    await wait_until_embedded(crm)
