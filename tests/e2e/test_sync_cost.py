"""What a synced person costs the gateway: the HTTP calls it makes to the ATS and CRM and its SQL round trips per
candidate created in the ATS (linked by creating the prospect) and per candidate update carried to the CRM, read
from the gateway's own counters (`/metrics`, worker `sync`), echoes of its own writes included."""
import re

PEOPLE = 20
COUNTERS = re.compile(r'^gateway_(peer_requests|sql_statements)_total\{(?P<labels>[^}]*)\} (?P<value>\S+)$')


async def _costs(http, gateway_url: str) -> dict[str, float]:
    """The sync worker's totals: peer requests by method, SQL round trips by kind."""
    out: dict[str, float] = {}
    for line in (await http.get(f"{gateway_url}/metrics")).text.splitlines():
        if (m := COUNTERS.match(line)) and 'worker="sync"' in m["labels"]:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m["labels"]))
            name = labels.get("method") or labels.get("kind")
            key = f"{'http' if 'method' in labels else 'sql'} {name}"
            out[key] = out.get(key, 0.0) + float(m["value"])
    return out


async def _drained(e2e, http, fresh_ok: bool = False) -> bool:
    """The gateway's consumer is at the end of every partition it has read (`fresh_ok`: or has read none yet)."""
    text = (await http.get(f"{e2e.gateway_url}/metrics")).text
    lags = [float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith('consumer_lag_messages{consumer="sync-gateway"')]
    return (fresh_ok or bool(lags)) and all(lag == 0 for lag in lags)


def _per_person(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: round((after.get(k, 0) - before.get(k, 0)) / PEOPLE, 2) for k in sorted(after)
            if after.get(k, 0) != before.get(k, 0)}


def _total(cost: dict[str, float], kind: str) -> float:
    return sum(v for k, v in cost.items() if k.startswith(kind))


async def test_a_synced_candidate_costs_a_few_peer_calls_and_sql_round_trips(e2e, http, api, email):
    await e2e.wait_until(lambda: _drained(e2e, http, fresh_ok=True), timeout=120, interval=0.5,
                         message="an idle gateway")
    start = await _costs(http, e2e.gateway_url)
    people = [await api.create("ats", first_name="Cost", last_name=f"P{i}", emails=[email(f"cost{i}")])
              for i in range(PEOPLE)]
    links = [await api.link_of_candidate(c["id"], timeout=30) for c in people]
    await e2e.wait_until(lambda: _drained(e2e, http), timeout=60, interval=0.5, message="the creations applied")
    created = await _costs(http, e2e.gateway_url)
    for i, cand in enumerate(people):
        await api.patch("ats", cand["id"], headline=f"cost headline {i}")

    async def carried() -> bool:
        for i, link in enumerate(links):
            prospect, _ = await api.get("crm", link["crm_prospect_id"])
            if prospect["headline"] != f"cost headline {i}":
                return False
        return True
    await e2e.wait_until(carried, timeout=60, interval=0.5, message="every update in the CRM")
    await e2e.wait_until(lambda: _drained(e2e, http), timeout=60, interval=0.5, message="the updates applied")
    updated = await _costs(http, e2e.gateway_url)

    create_cost, update_cost = _per_person(start, created), _per_person(created, updated)
    print(f"per candidate created and linked: {create_cost}")
    print(f"per candidate update carried: {update_cost}")
    # A new candidate: one batch item that finds the prospect by email or creates it; an update: one PATCH, no
    # re-read of either side; the writes of events applied together share a transaction (group commit). An
    # update's read is one statement (its cursor, link and tombstones together), and a running consumer looks
    # none of its fresh records up in the processed-events table: 5.5 round trips per update before, 3.7 after.
    # An update's only write, its cursor, goes out in the claim's statement with no BEGIN or COMMIT (a fold of the
    # group commit): 1.35. At most two whatever the grouping: its read and its commit.
    assert _total(create_cost, "http") <= 1
    assert _total(update_cost, "http") <= 1
    assert _total(create_cost, "sql") <= 7
    assert _total(update_cost, "sql") <= 2
