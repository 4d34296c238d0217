"""Chaos: while creates and updates stream in, the gateway is SIGKILLed twice and the broker restarted once.
Afterwards both sides agree on every linked person, nothing is lost and nothing is applied twice."""
import asyncio
import uuid
from collections import Counter


async def test_gateway_kills_and_a_broker_restart_lose_nothing_and_duplicate_nothing(e2e, http, api, email):
    tag = uuid.uuid4().hex[:8]
    created: list[dict] = []

    async def stream() -> None:
        for i in range(36):
            for attempt in range(20):  # the ATS may be briefly without its broker: its outbox keeps the events
                try:
                    cand = await api.create("ats", first_name="Chaos", last_name=f"{tag}-{i}", emails=[email(f"chaos{i}")])
                    break
                except Exception:  # noqa: BLE001 - retried below
                    await asyncio.sleep(0.5)
            else:
                raise AssertionError("the ATS stayed unavailable")
            created.append(cand)
            if i % 3 == 2:
                await api.patch("ats", created[i - 1]["id"], headline=f"updated {i}")
            await asyncio.sleep(0.15)

    async def chaos() -> None:
        await asyncio.sleep(1.5)
        e2e.gateway.kill()
        await asyncio.sleep(1.0)
        await e2e.restart_gateway()
        await e2e.restart_broker()
        await asyncio.sleep(1.0)
        e2e.gateway.kill()
        await asyncio.sleep(0.5)
        await e2e.restart_gateway()

    await asyncio.gather(stream(), chaos())

    async def converged():
        for cand in created:
            links = await api.links(ats_candidate_id=cand["id"])
            if len(links) != 1:
                return None
            a, _ = await api.get("ats", cand["id"])
            c, _ = await api.get("crm", links[0]["crm_prospect_id"])
            if (a["headline"], a["last_name"], a["emails"]) != (c["headline"], c["last_name"], c["emails"]):
                return None
        return True
    await e2e.wait_until(converged, timeout=120, interval=1.0, message="every candidate linked and in agreement")

    for cand in created:  # one prospect per person: nothing applied twice
        assert len(await api.by_email("crm", cand["emails"][0])) == 1
    prospect_ids = {(await api.links(ats_candidate_id=c["id"]))[0]["crm_prospect_id"] for c in created}
    records = await e2e.read_topic("crm.prospects", prospect_ids)
    creations = Counter(e2e.header(r, "ce_subject") for r in records if e2e.header(r, "ce_type") == "crm.prospect.created.v1")
    assert set(creations.values()) == {1} and len(creations) == len(created)
