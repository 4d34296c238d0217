"""Profile changes flow both ways under the field policy; a concurrent edit converges to the later one."""
import asyncio
from datetime import datetime


async def _linked_pair(api, email):
    addr = email("sync")
    cand = await api.create("ats", first_name="Alan", last_name="Turing", emails=[addr], headline="Codebreaker")
    link = await api.link_of_candidate(cand["id"])
    return cand, link["crm_prospect_id"], addr


async def test_updates_flow_both_ways(e2e, api, email):
    cand, prospect_id, addr = await _linked_pair(api, email)
    new_addr = email("newaddr")

    await api.patch("crm", prospect_id, first_name="Alan M.", last_name="Turing-Smith", emails=[new_addr])

    async def ats_updated():
        c, _ = await api.get("ats", cand["id"])
        return c if c["first_name"] == "Alan M." and c["last_name"] == "Turing-Smith" and new_addr in c["emails"] else None
    ats_view = await e2e.wait_until(ats_updated, 20, message="the CRM's name+email change in the ATS")
    assert addr in ats_view["emails"]  # union: a removal on one side does not remove on the other
    assert ats_view["updated_by"] == "sync-gateway"

    await api.patch("ats", cand["id"], headline="Father of computer science")

    async def crm_updated():
        p, _ = await api.get("crm", prospect_id)
        return p if p["headline"] == "Father of computer science" else None
    crm_view = await e2e.wait_until(crm_updated, 20, message="the ATS's headline change in the CRM")
    assert crm_view["first_name"] == "Alan M."
    assert new_addr in crm_view["emails"]


async def test_concurrent_first_name_edit_converges_to_the_later_one(e2e, api, email):
    cand, prospect_id, _ = await _linked_pair(api, email)
    # let the create settle (both sides hold the same profile) before racing
    await e2e.wait_until(lambda: api.by_email("crm", cand["emails"][0]), 20)

    ats_resp, crm_resp = await asyncio.gather(api.patch("ats", cand["id"], first_name="Alonzo"),
                                              api.patch("crm", prospect_id, first_name="Kurt"))
    t_ats = datetime.fromisoformat(ats_resp["field_times"]["first_name"])
    t_crm = datetime.fromisoformat(crm_resp["field_times"]["first_name"])
    # Two clocks can name the same microsecond (a coarse clock makes it likely); a tie goes to the ATS.
    expected = "Alonzo" if t_ats >= t_crm else "Kurt"
    expected_time = max(t_ats, t_crm)

    async def converged():
        (a, _), (c, _) = await asyncio.gather(api.get("ats", cand["id"]), api.get("crm", prospect_id))
        return (a, c) if a["first_name"] == c["first_name"] == expected else None
    a, c = await e2e.wait_until(converged, 20, message=f"both sides holding {expected!r}")
    assert datetime.fromisoformat(a["field_times"]["first_name"]) == expected_time
    assert datetime.fromisoformat(c["field_times"]["first_name"]) == expected_time
