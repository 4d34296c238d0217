"""Two gateway replicas in one consumer group share the person topics; one is SIGKILLed while creates and updates
stream in on the ATS. The survivor takes over its partitions: every person ends up linked once, with one CRM
prospect, every ATS event applied exactly once, and the CRM holding each person's last update."""
from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Awaitable

from aiokafka.admin import AIOKafkaAdminClient
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talent_dev.testing import ServiceProcess, free_port

PEOPLE = 24
UPDATES = 3  # per person, each a new headline: the last one is what the CRM must end with


async def group_members(bootstrap: str, group: str) -> int:
    """How many members the consumer group has now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_consumer_groups([group])
    finally:
        await admin.close()
    return sum(len(g["members"]) for response in described for g in response.to_object()["groups"])


async def test_two_gateways_share_the_work_and_a_killed_one_loses_and_duplicates_nothing(e2e, api, http, email):
    replica = ServiceProcess(factory=e2e.gateway.factory, port=free_port(), env=dict(e2e.gateway.env),
                             log_path=e2e.log_dir / "e2e-gateway-replica.log", bin_dir=e2e.gateway.bin_dir)
    await asyncio.to_thread(replica.start, 90)
    try:
        async def both_members() -> bool:
            return await group_members(e2e.kafka_bootstrap, "sync-gateway") >= 2
        await e2e.wait_until(both_members, 60, interval=0.5, message="both gateways in the consumer group")
        tag = uuid.uuid4().hex[:8]
        people: list[dict] = []

        async def stream() -> None:
            for i in range(PEOPLE):
                people.append(await api.create("ats", first_name="Rep", last_name=f"{tag}-{i}", emails=[email(f"rep{i}")]))
                if i >= 2:  # the person created two steps earlier gets its updates, in order
                    for n in range(1, UPDATES + 1):
                        await api.patch("ats", people[i - 2]["id"], headline=f"{tag} update {n}")
                await asyncio.sleep(0.1)
            for person in people[-2:]:
                for n in range(1, UPDATES + 1):
                    await api.patch("ats", person["id"], headline=f"{tag} update {n}")

        async def kill_one() -> None:
            await e2e.wait_until(lambda: len(people) >= PEOPLE // 3, 60, message="a third of the people created")
            e2e.gateway.kill()  # SIGKILL mid-stream: its partitions' in-flight work and uncommitted offsets are lost

        await asyncio.gather(stream(), kill_one())

        async def links_of(candidate_id: str) -> list[dict]:  # asked of the survivor (the other is dead)
            resp = await http.get(f"{replica.url}/v1/links", params={"ats_candidate_id": candidate_id})
            assert resp.status_code == 200, resp.text
            return resp.json()["data"]

        async def converged() -> bool:
            for person in people:
                links = await links_of(person["id"])
                if len(links) != 1:
                    return False
                prospect, _ = await api.get("crm", links[0]["crm_prospect_id"])
                if prospect["headline"] != f"{tag} update {UPDATES}" or prospect["last_name"] != person["last_name"]:
                    return False
            return True
        # The dead member's partitions move to the survivor once its session times out.
        await e2e.wait_until(converged, 150, interval=1.0, message="every person linked once, with the last update")

        prospect_ids = set()
        for person in people:
            found = await api.by_email("crm", person["emails"][0])
            assert len(found) == 1, found  # one prospect per person
            prospect_ids.add(found[0]["id"])
        crm_records = await e2e.read_topic("crm.prospects", prospect_ids)
        created = Counter(e2e.header(r, "ce_subject") for r in crm_records
                          if e2e.header(r, "ce_type") == "crm.prospect.created.v1")
        assert len(created) == PEOPLE and set(created.values()) == {1}
        # No CRM write is repeated: per causing ATS event, at most one CRM event of each type. (A created event
        # whose prospect was made but whose link died with the killed replica is linked again by email on replay,
        # and that link may add one reconciling update: a new write, not the first one again.)
        caused = Counter((e2e.header(r, "ce_causationid"), e2e.header(r, "ce_type")) for r in crm_records)
        assert max(caused.values()) == 1, [c for c, n in caused.items() if n > 1]

        ats_records = await e2e.read_topic("ats.candidates", {p["id"] for p in people})
        event_ids = [e2e.header(r, "ce_id") for r in ats_records]
        assert len(event_ids) == PEOPLE * (1 + UPDATES)
        engine = create_async_engine(e2e.gateway.env["GATEWAY_DATABASE_URL"])

        async def applied() -> list[str]:
            async with engine.connect() as conn:
                return list((await conn.execute(text(
                    "SELECT event_id FROM processed_events WHERE consumer = 'sync-gateway' AND event_id = ANY(:ids)"),
                    {"ids": event_ids})).scalars())
        try:  # (events that wrote nothing are recorded in batches, a moment later)
            await e2e.wait_until(lambda: _all(applied(), len(event_ids)), 20, interval=0.5,
                                 message="a processed-events row for every ATS event")
        finally:
            await engine.dispose()
    finally:
        await asyncio.to_thread(replica.stop)
        if e2e.gateway.proc is None or e2e.gateway.proc.poll() is not None:
            await e2e.restart_gateway()


async def _all(rows: Awaitable[list[str]], expected: int) -> bool:
    return len(await rows) == expected  # the primary key: a row per event, never two
