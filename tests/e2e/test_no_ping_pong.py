"""Loop prevention, proven by counting events on Kafka (not by waiting and hoping)."""
import asyncio
from collections import Counter


async def test_no_ping_pong_between_ats_and_crm(e2e, api, email):
    addr = email("pingpong")
    cand = await api.create("ats", first_name="Edsger", last_name="Dijkstra", emails=[addr])
    link = await api.link_of_candidate(cand["id"])
    prospect_id = link["crm_prospect_id"]

    # one user update in the CRM, wait until the gateway carried it to the ATS
    await api.patch("crm", prospect_id, last_name="Dijkstra-W")

    async def ats_has_it():
        c, _ = await api.get("ats", cand["id"])
        return c["last_name"] == "Dijkstra-W"
    await e2e.wait_until(ats_has_it, 20, message="CRM last_name in the ATS")

    # one user update in the ATS, wait until the gateway carried it to the CRM
    await api.patch("ats", cand["id"], headline="Goto considered harmful")

    async def crm_has_it():
        p, _ = await api.get("crm", prospect_id)
        return p["headline"] == "Goto considered harmful"
    await e2e.wait_until(crm_has_it, 20, message="ATS headline in the CRM")

    subjects = {cand["id"], prospect_id}

    async def snapshot():
        ats_events = await e2e.read_topic("ats.candidates", subjects)
        crm_events = await e2e.read_topic("crm.prospects", subjects)
        return ats_events, crm_events

    async def all_published():  # the gateway's last write is committed in the CRM, maybe not on Kafka yet
        ats_events, crm_events = await snapshot()
        return len(ats_events) >= 3 and len(crm_events) >= 3
    await e2e.wait_until(all_published, 20, message="three events of each side on Kafka")
    await asyncio.sleep(3)  # let any echo happen; the proof is the counts below, taken twice
    ats_events, crm_events = await snapshot()

    def summary(records):
        return [(e2e.header(r, "ce_type"), e2e.header(r, "ce_origin"), int(e2e.header(r, "ce_sequence"))) for r in records]

    ats_summary = sorted(summary(ats_events), key=lambda t: t[2])
    crm_summary = sorted(summary(crm_events), key=lambda t: t[2])
    # ATS: the user's create, the gateway's write of the CRM change, the user's headline change
    assert ats_summary == [("ats.candidate.created.v1", "admin", 1),
                           ("ats.candidate.updated.v1", "sync-gateway", 2),
                           ("ats.candidate.updated.v1", "admin", 3)], ats_summary
    # CRM: the gateway's create, the user's last_name change, the gateway's write of the ATS change
    assert crm_summary == [("crm.prospect.created.v1", "sync-gateway", 1),
                           ("crm.prospect.updated.v1", "admin", 2),
                           ("crm.prospect.updated.v1", "sync-gateway", 3)], crm_summary
    assert {e2e.header(r, "ce_subject") for r in ats_events} == {cand["id"]}
    assert {e2e.header(r, "ce_subject") for r in crm_events} == {prospect_id}

    # events with origin sync-gateway are exactly the gateway's writes, each caused by a user event on the other side
    user_ids = {e2e.header(r, "ce_id"): r.topic for r in ats_events + crm_events if e2e.header(r, "ce_origin") != "sync-gateway"}
    for record in ats_events + crm_events:
        if e2e.header(record, "ce_origin") == "sync-gateway":
            cause = e2e.header(record, "ce_causationid")
            assert cause in user_ids, (record.topic, cause)
            assert user_ids[cause] != record.topic
    assert Counter(e2e.header(r, "ce_origin") for r in ats_events + crm_events) == {"admin": 3, "sync-gateway": 3}

    # and nothing more appears over a further 3 s
    await asyncio.sleep(3)
    ats_later, crm_later = await snapshot()
    assert (len(ats_later), len(crm_later)) == (3, 3), (summary(ats_later), summary(crm_later))
