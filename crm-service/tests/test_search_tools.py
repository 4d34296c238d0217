"""What recruiters do with search: saved searches that alert on new matches, search results pushed to an ATS job
in bulk (each person through the push-to-job flow), the talent map with its counts and links, and the explainable
openness score (ordering and threshold alerts)."""
from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

from crm.openness.service import alert_crossings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talent_dev.testing import wait_until

from .test_prospect_search import create


async def sql(crm, statement: str, **params) -> None:
    engine = create_async_engine(crm.app.state.settings.database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text(statement), params)
    finally:
        await engine.dispose()


async def test_a_saved_search_alerts_once_for_each_new_match_only(crm):
    skill = "Zig" + uuid.uuid4().hex[:6]
    before = await create(crm, skills=[skill])
    r = await crm.client.post("/v1/saved-searches", json={"name": "Zig people", "q": f"skill:{skill}",
                                                         "recipient": "rita@acme.io"})
    assert r.status_code == 201, r.text
    saved = r.json()
    check = await crm.client.post(f"/v1/saved-searches/{saved['id']}/check")
    assert check.json() == {"new_matches": [], "alert_id": None}  # who matched at saving is the baseline
    newcomer = await create(crm, skills=[skill, "Rust"])
    check = (await crm.client.post(f"/v1/saved-searches/{saved['id']}/check")).json()
    assert check["new_matches"] == [newcomer["id"]] and check["alert_id"]
    alert = (await crm.client.get(f"/v1/alerts/{check['alert_id']}")).json()
    assert alert["kind"] == "saved_search_matches" and alert["recipient"] == "rita@acme.io"
    assert alert["data"]["prospect_ids"] == [newcomer["id"]] and before["id"] not in alert["data"]["prospect_ids"]
    assert (await crm.client.post(f"/v1/saved-searches/{saved['id']}/check")).json()["new_matches"] == []
    assert (await crm.client.post("/v1/saved-searches", json={"name": "bad", "q": "skill:("})).status_code == 400
    assert (await crm.client.delete(f"/v1/saved-searches/{saved['id']}")).status_code == 204
    assert (await crm.client.get(f"/v1/saved-searches/{saved['id']}")).status_code == 404


async def test_search_results_are_pushed_to_a_job_in_bulk_with_progress_and_an_outcome_per_person(crm):
    tag = "bulk-" + uuid.uuid4().hex[:6]
    ready = [await create(crm, tags=[tag], current_title="Welder") for _ in range(2)]
    no_email = await create(crm, tags=[tag], current_title="Welder", emails=[])
    job_id = str(uuid.uuid4())
    body = {"job_id": job_id, "q": f"tag:{tag} welder", "limit": 10}
    r = await crm.client.post("/v1/search/prospects/push-to-job", json=body, headers={"Idempotency-Key": tag})
    assert r.status_code == 202, r.text
    bulk = r.json()
    assert bulk["total"] == 3 and r.headers["location"] == f"/v1/bulk-pushes/{bulk['id']}"
    again = await crm.client.post("/v1/search/prospects/push-to-job", json=body, headers={"Idempotency-Key": tag})
    assert again.json()["id"] == bulk["id"]

    async def done():
        b = (await crm.client.get(f"/v1/bulk-pushes/{bulk['id']}")).json()
        return b if b["status"] == "done" else None
    bulk = await wait_until(done, timeout=30, interval=0.2, message="the bulk push to finish")
    assert bulk["processed"] == 3 and bulk["progress"] == 1.0 and bulk["outcomes"] == {"requested": 2, "skipped": 1}
    items = {i["prospect_id"]: i for i in bulk["items"]}
    assert "email" in items[no_email["id"]]["reason"]
    for person in ready:
        push = (await crm.client.get(f"/v1/pushes/{items[person['id']]['push_id']}")).json()
        assert push["job_id"] == job_id and push["status"] == "requested" == items[person["id"]]["push_status"]
    # Pushing the same people again reuses their pending pushes.
    r = await crm.client.post("/v1/search/prospects/push-to-job",
                              json={"job_id": job_id, "prospect_ids": [p["id"] for p in ready]})
    second = await wait_until(lambda: _done(crm, r.json()["id"]), timeout=30, interval=0.2, message="the second bulk push")
    assert {i["push_id"] for i in second["items"]} == {items[p["id"]]["push_id"] for p in ready}
    bad = await crm.client.post("/v1/search/prospects/push-to-job", json={"job_id": job_id})
    assert bad.status_code == 422


async def _done(crm, bulk_id: str):
    b = (await crm.client.get(f"/v1/bulk-pushes/{bulk_id}")).json()
    return b if b["status"] == "done" else None


async def test_the_talent_map_counts_per_bucket_links_each_bucket_and_speaks_csv(crm):
    tag = "map-" + uuid.uuid4().hex[:6]
    people = [("Acme", "Senior Engineer", "Berlin, Germany", ["Python", "Go"]),
              ("acme ", "Engineering Manager", "Berlin", ["Python"]),
              ("ACME", "Junior Designer", "Paris, France", ["Figma"]),
              ("Globex", "VP Sales", "Paris", ["Negotiation"]),
              ("Initech", "Data Analyst", None, ["Python", "SQL"])]
    for company, title, location, skills in people:
        await create(crm, tags=[tag], current_company=company, current_title=title, location=location, skills=skills)

    async def buckets(by: str) -> dict:
        r = await crm.client.get("/v1/talent-map", params={"q": f"tag:{tag}", "by": by})
        assert r.status_code == 200, r.text
        assert r.json()["total"] == 5
        return {b["value"]: b for b in r.json()["buckets"]}
    companies = await buckets("company")
    assert {k: v["count"] for k, v in companies.items()} == {"acme": 3, "globex": 1, "initech": 1}
    listed = (await crm.client.get(companies["acme"]["search"])).json()["data"]
    assert len(listed) == 3
    assert {k: v["count"] for k, v in (await buckets("skill")).items()} == {"python": 3, "go": 1, "figma": 1,
                                                                             "negotiation": 1, "sql": 1}
    assert {k: v["count"] for k, v in (await buckets("location")).items()} == {"berlin": 2, "paris": 2, None: 1}
    levels = await buckets("seniority")
    assert {k: v["count"] for k, v in levels.items()} == {"senior": 1, "manager": 1, "junior": 1, "executive": 1, "mid": 1}
    assert len((await crm.client.get(levels["senior"]["search"])).json()["data"]) == 1 and levels["mid"]["search"] is None
    r = await crm.client.get("/v1/talent-map", params={"q": f"tag:{tag}", "by": "company"}, headers={"Accept": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["company", "count", "search"] and rows[1][:2] == ["acme", "3"]
    assert (await crm.client.get("/v1/talent-map", params={"by": "planet"})).status_code == 422


async def test_openness_is_explained_orders_prospects_and_alerts_the_owner_once_at_the_threshold(crm):
    owner = f"owner-{uuid.uuid4().hex[:6]}@acme.io"
    open_one = await create(crm, current_company="Oldco", current_title="Engineer", owner=owner)
    closed = await create(crm, current_company="Newco", current_title="Engineer")
    began = (datetime.now(UTC) - timedelta(days=800)).date().isoformat()
    r = await crm.client.put(f"/v1/prospects/{open_one['id']}/work-history",
                             json={"positions": [{"company": "Oldco", "title": "Engineer", "started_on": began}]})
    assert r.status_code == 200, r.text
    for page in ("https://jobs.acme.io/a", "https://jobs.acme.io/b"):
        r = await crm.client.post(f"/v1/prospects/{open_one['id']}/page-visits", json={"url": page})
        assert r.status_code == 201, r.text
    explained = (await crm.client.get(f"/v1/prospects/{open_one['id']}/openness")).json()
    points = {s["signal"]: s["points"] for s in explained["signals"]}
    assert points == {"tenure_months": 25, "engagement_trend": 20, "visits_30d": 20, "replies_60d": 0, "profile_updated": 0}
    assert explained["score"] == 65 and "2 page visits in the last 30 days" in explained["reasons"]
    assert (await crm.client.get(f"/v1/prospects/{closed['id']}/openness")).json()["score"] == 0
    ids: list[str] = []  # every page: other tests' prospects share the database
    page = (await crm.client.get("/v1/prospects", params={"order": "-openness", "limit": 200})).json()
    while True:
        ids += [p["id"] for p in page["data"]]
        if not page.get("next"):
            break
        page = (await crm.client.get(page["next"])).json()
    assert ids.index(open_one["id"]) < ids.index(closed["id"])
    assert await alert_crossings(crm.app) >= 1
    alerts = (await crm.client.get("/v1/alerts", params={"recipient": owner})).json()["data"]
    assert [a["kind"] for a in alerts] == ["openness_threshold"] and alerts[0]["data"]["score"] == 65
    await alert_crossings(crm.app)
    assert len((await crm.client.get("/v1/alerts", params={"recipient": owner})).json()["data"]) == 1


async def test_tenure_is_counted_from_the_work_history_at_the_current_company_not_from_field_times(crm):
    def ago(days: int) -> str:
        return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()

    async def tenure(prospect_id: str) -> dict:
        signals = (await crm.client.get(f"/v1/prospects/{prospect_id}/openness")).json()["signals"]
        return next(s for s in signals if s["signal"] == "tenure_months")

    promoted = await create(crm, current_company="Initech", current_title="Lead")
    await sql(crm, "UPDATE prospects SET field_times = jsonb_set(field_times, '{current_company}', to_jsonb(CAST(:t AS text))) "
                   "WHERE id = :p", t=(datetime.now(UTC) - timedelta(days=2000)).isoformat(), p=promoted["id"])
    assert (await tenure(promoted["id"]))["value"] is None  # no work history: unknown, whatever the field times say
    history = [{"company": "Initech", "title": "Engineer", "started_on": ago(500), "ended_on": ago(200)},
               {"company": " initech ", "title": "Lead", "started_on": ago(200)},  # a promotion keeps the count
               {"company": "Globex", "title": "Intern", "started_on": ago(3000), "ended_on": ago(2900)}]
    r = await crm.client.put(f"/v1/prospects/{promoted['id']}/work-history", json={"positions": history})
    assert r.status_code == 200 and [p["title"] for p in r.json()["positions"]] == ["Lead", "Engineer", "Intern"]
    signal = await tenure(promoted["id"])
    assert 16 < signal["value"] < 17 and signal["points"] == 10 and signal["reason"].startswith("16 months")

    moved_on = await create(crm, current_company="Hooli", current_title="Engineer")
    r = await crm.client.put(f"/v1/prospects/{moved_on['id']}/work-history", json={"positions": [
        {"company": "Hooli", "started_on": ago(1000), "ended_on": ago(10)}]})  # left Hooli: no position held there
    assert r.status_code == 200
    assert (await tenure(moved_on["id"]))["value"] is None


async def test_a_work_history_that_makes_no_sense_is_a_422_problem_and_an_erasure_forgets_it(crm):
    prospect = await create(crm, current_company="Umbrella")
    r = await crm.client.put(f"/v1/prospects/{prospect['id']}/work-history", json={"positions": [
        {"company": "Umbrella", "started_on": "2024-05-01", "ended_on": "2023-01-01"}]})
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    for bad in ({"positions": [{"company": "", "started_on": "2024-05-01"}]}, {"positions": [{"company": "X"}]},
                {"positions": [{"company": "X", "started_on": "soon"}]}, {"positions": "none"}, {}):
        assert (await crm.client.put(f"/v1/prospects/{prospect['id']}/work-history", json=bad)).status_code == 422, bad
    missing = await crm.client.get(f"/v1/prospects/{uuid.uuid4()}/work-history")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("application/problem+json")
    r = await crm.client.put(f"/v1/prospects/{prospect['id']}/work-history",
                             json={"positions": [{"company": "Umbrella", "started_on": "2020-01-01"}]})
    assert r.status_code == 200
    r = await crm.client.post(f"/v1/prospects/{prospect['id']}/erase", json={"reason": "gdpr_request"},
                              headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 200, r.text
    assert (await crm.client.get(f"/v1/prospects/{prospect['id']}/work-history")).json()["positions"] == []
    r = await crm.client.put(f"/v1/prospects/{prospect['id']}/work-history",
                             json={"positions": [{"company": "Umbrella", "started_on": "2020-01-01"}]})
    assert r.status_code == 410
