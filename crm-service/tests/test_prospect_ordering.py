"""`GET /v1/prospects?order=-engagement_score`: the most engaged prospects first, a page at a time."""
import uuid


async def test_prospects_can_be_listed_most_engaged_first(crm):
    tag = f"order-{uuid.uuid4().hex[:8]}"
    ids = []
    for visits in (1, 3, 0):
        body = crm.body(tags=[tag], emails=[f"{tag}-{visits}@example.com"])
        pid = (await crm.client.post("/v1/prospects", json=body)).json()["id"]
        for _ in range(visits):
            r = await crm.client.post(f"/v1/prospects/{pid}/page-visits", json={"url": "https://careers.example/jobs"})
            assert r.status_code == 201, r.text
        ids.append(pid)
    seen, url = [], "/v1/prospects?order=-engagement_score&limit=2"
    while url:
        page = (await crm.client.get(url)).json()
        seen += [p["id"] for p in page["data"]]
        url = page["next"]
    mine = [i for i in seen if i in ids]
    assert mine[:2] == [ids[1], ids[0]]  # 3 visits, then 1 visit; the never-engaged one after them
    assert len(seen) == len(set(seen))  # pages neither repeat nor skip

    bad = await crm.client.get("/v1/prospects", params={"order": "-shoe_size"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "order"
