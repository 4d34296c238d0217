"""A fuzz of `POST /v1/resync` never takes the gateway down: every call answers at once (202 with a job, 409 with
the active one, 422 for a reused key), every other endpoint keeps answering, nothing answers 500, and the jobs
it queued can be cancelled."""
import asyncio
import random
import uuid


async def test_a_storm_of_resync_requests_leaves_every_endpoint_answering(e2e, http, api, email):
    people = [await api.create("ats", first_name="Storm", last_name=f"P{i}", emails=[email("storm")]) for i in range(3)]
    for person in people:
        await api.link_of_candidate(person["id"])
    ids = [p["id"] for p in people]
    rng = random.Random(13)
    keys = [str(uuid.uuid4()) for _ in range(5)]
    gw = e2e.gateway_url

    def body() -> dict:
        choice = rng.random()
        if choice < 0.4:
            return {"all": True}
        if choice < 0.7:
            return {"ats_candidate_ids": rng.sample(ids, rng.randint(1, 3))}
        return {"crm_prospect_ids": [str(uuid.uuid4()) for _ in range(rng.randint(1, 5))]}

    async def resync() -> tuple[int, dict, str | None]:
        headers = {"Idempotency-Key": rng.choice(keys) if rng.random() < 0.3 else str(uuid.uuid4())}
        resp = await http.post(f"{gw}/v1/resync", json=body(), headers=headers)
        return resp.status_code, resp.json(), resp.headers.get("retry-after")

    async def reader() -> list[tuple[str, int, str | None]]:
        seen = []
        for _ in range(15):
            for path in ("/v1/links", "/v1/conflicts", "/v1/field-policy", "/v1/resync-jobs", "/v1/health", "/readyz"):
                resp = await http.get(f"{gw}{path}")
                seen.append((path, resp.status_code, resp.headers.get("retry-after")))
        return seen

    answers = await asyncio.gather(*(resync() for _ in range(80)), reader(), reader())
    posts, reads = answers[:80], [r for batch in answers[80:] for r in batch]
    assert {code for code, _, _ in posts} <= {202, 409, 422, 503}, sorted({code for code, _, _ in posts})
    assert all(retry for code, _, retry in posts if code == 503)
    assert any(code == 202 for code, _, _ in posts)
    assert [r for r in reads if r[1] >= 500 and not (r[1] == 503 and r[2])] == [], reads
    assert all(code == 200 for path, code, _ in reads if path == "/readyz")

    active = []
    for status in ("queued", "running"):
        active += (await http.get(f"{gw}/v1/resync-jobs", params={"status": status, "limit": 200})).json()["data"]
    for job in active:
        assert (await http.post(f"{gw}/v1/resync-jobs/{job['id']}/cancel")).status_code in (200, 409)

    final = await http.post(f"{gw}/v1/resync", json={"ats_candidate_ids": ids, "crm_prospect_ids": [str(uuid.uuid4())]})
    assert final.status_code == 202, final.text

    async def finished():
        job = (await http.get(f"{gw}/v1/resync-jobs/{final.json()['id']}")).json()
        return job if job["status"] not in ("queued", "running") else None
    job = await e2e.wait_until(finished, 30, message="the last resync job finished")
    assert job["status"] == "succeeded" and job["progress"]["done"] == 3, job
    assert (await http.get(f"{gw}/readyz")).status_code == 200
