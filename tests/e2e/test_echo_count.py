"""Loop prevention at volume: 500 user updates spread over both sides (`E2E_ECHO_UPDATES` for more) produce at most
one gateway write each and not a single echo (a gateway write caused by a gateway write)."""
import asyncio
import os

UPDATES = int(os.environ.get("E2E_ECHO_UPDATES", "500"))
PEOPLE = 50


async def test_hundreds_of_updates_cause_zero_echo_writes(e2e, http, api, email):
    people = []
    for i in range(PEOPLE):
        cand = await api.create("ats", first_name="Echo", last_name=f"P{i}", emails=[email(f"echo{i}")])
        people.append(cand)
    links = [await api.link_of_candidate(c["id"], timeout=30) for c in people]
    ids = {c["id"] for c in people} | {lk["crm_prospect_id"] for lk in links}

    async def update(n: int) -> None:
        i = n % PEOPLE
        side, rid = ("ats", people[i]["id"]) if (n // PEOPLE) % 2 == 0 else ("crm", links[i]["crm_prospect_id"])
        await api.patch(side, rid, headline=f"headline {n}")

    sem = asyncio.Semaphore(10)

    async def limited(n: int) -> None:
        async with sem:
            await update(n)
    await asyncio.gather(*(limited(n) for n in range(UPDATES)))

    async def settled():
        # every person ends with the same headline on both sides: the gateway caught up
        for cand, link in zip(people, links, strict=True):
            a, _ = await api.get("ats", cand["id"])
            c, _ = await api.get("crm", link["crm_prospect_id"])
            if a["headline"] != c["headline"]:
                return None
        return True
    await e2e.wait_until(settled, timeout=240, interval=1.0, message="both sides agreeing on every headline")

    async def drained():
        # agreement can come before the gateway has read every event (later ones change nothing); wait until its
        # consumer lag is zero on every partition, so the tests after this one do not queue behind the backlog
        text = (await http.get(f"{e2e.gateway_url}/metrics")).text
        lags = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                if line.startswith('consumer_lag_messages{consumer="sync-gateway"')]
        return lags and all(lag == 0 for lag in lags)
    await e2e.wait_until(drained, timeout=240, interval=1.0, message="the gateway consumer caught up")

    records = [r for t in ("ats.candidates", "crm.prospects") for r in await e2e.read_topic(t, ids)]
    by_id = {e2e.header(r, "ce_id"): r for r in records}
    gateway = [r for r in records if e2e.header(r, "ce_origin") == "sync-gateway"]
    echoes = [r for r in gateway if e2e.header(by_id.get(e2e.header(r, "ce_causationid")) or r, "ce_origin") == "sync-gateway"
              and e2e.header(r, "ce_causationid") in by_id]
    user_updates = [r for r in records if e2e.header(r, "ce_origin") != "sync-gateway"
                    and e2e.header(r, "ce_type", ).endswith(".updated.v1")]
    assert len(user_updates) == UPDATES
    assert echoes == []
    # each gateway update answers one user update (creations of the CRM prospects aside)
    gateway_updates = [r for r in gateway if e2e.header(r, "ce_type").endswith(".updated.v1")]
    assert len(gateway_updates) <= len(user_updates)
