"""A CSV import on the running stack: every prospect it creates is published as `crm.prospect.created.v1`, once.
Imported prospects stay in the CRM (they reach the ATS only when pushed to a job)."""
import uuid


async def test_an_import_of_200_rows_publishes_one_created_event_per_prospect(e2e, http, email):
    tag = uuid.uuid4().hex[:8]
    addresses = [email(f"imp{tag}{i}") for i in range(200)]
    rows = "".join(f"Person{i},Import{tag},{a},Acme\n" for i, a in enumerate(addresses))
    r = await http.post(f"{e2e.crm_url}/v1/imports", content=f"First Name,Last Name,Email,Company\n{rows}".encode(),
                        headers={"Content-Type": "text/csv"})
    assert r.status_code == 202, r.text
    location = f"{e2e.crm_url}{r.headers['location']}"

    async def completed():
        body = (await http.get(location)).json()
        return body if body["status"] == "completed" else None
    done = await e2e.wait_until(completed, 60, interval=0.2, message="the import to complete")
    assert (done["created"], done["failed"]) == (200, 0)

    async def ids() -> dict[str, str]:  # prospect id -> address, 100 addresses per list request (the most it takes)
        found = {}
        for chunk in (addresses[:100], addresses[100:]):
            page = (await http.get(f"{e2e.crm_url}/v1/prospects", params={"email": chunk, "limit": 200})).json()
            found.update({p["id"]: p["emails"][0] for p in page["data"]})
        return found
    prospects = await ids()
    assert sorted(prospects.values()) == sorted(addresses)

    async def all_published():  # only this import's prospects' records: nothing sealed needs opening
        created = [r for r in await e2e.read_topic("crm.prospects", set(prospects))
                   if dict(r.headers).get("ce_type") == b"crm.prospect.created.v1"]
        return created if len(created) >= 200 else None
    records = await e2e.wait_until(all_published, 30, interval=0.5, message="200 created events on crm.prospects")
    subjects = [dict(r.headers)["ce_subject"].decode() for r in records]
    assert len(subjects) == len(set(subjects)) == 200  # one per prospect, none twice
    assert set(subjects) == set(prospects)
    for a in (addresses[0], addresses[199]):
        assert (await http.get(f"{e2e.ats_url}/v1/candidates", params={"email": a})).json()["data"] == []
