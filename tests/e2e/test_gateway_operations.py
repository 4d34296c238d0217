"""Operations on the gateway: dead letters (inspect, replay, discard), runtime field-policy changes and resync,
and the conflict log."""
import uuid

from shared_schemas.envelope import EventEnvelope


async def test_dead_letters_can_be_listed_replayed_and_discarded(e2e, http):
    # A well-formed CloudEvent whose data breaks the contract: poison, dead-lettered with the error.
    bad = EventEnvelope(source="/ats", type="ats.candidate.created.v1", subject=str(uuid.uuid4()), sequence=1,
                        data={"candidate": {"first_name": "no id"}})
    await e2e.produce("ats.candidates", bad.kafka_value(), key=bad.key, headers=bad.kafka_headers())
    url = f"{e2e.gateway_url}/v1/dead-letters"

    async def letters():
        data = (await http.get(url, params={"status": "open", "limit": 200})).json()["data"]
        return [d for d in data if d["event_id"] == bad.id] or None
    found = await e2e.wait_until(letters, 10, message="the dead letter in /v1/dead-letters")
    letter = found[0]
    assert letter["event_type"] == "ats.candidate.created.v1" and "ValidationError" in letter["error"]

    replayed = await http.post(f"{url}/{letter['id']}/replay")
    assert replayed.status_code == 200 and replayed.json()["status"] == "replayed"
    assert (await http.post(f"{url}/{letter['id']}/replay")).status_code == 409  # replayed once
    # through the gateway's outbox and relay: the same event (id, source, data) on its topic a second time
    on_topic = await e2e.wait_until(lambda: _twice(e2e, bad), 15, message="the event on ats.candidates again")
    assert [EventEnvelope.from_kafka(r.headers, r.value) for r in on_topic] == [bad, bad]
    again = await e2e.wait_until(letters, 10, message="the replayed event dead-lettered again (still poison)")
    fresh = next(d for d in again if d["id"] != letter["id"])
    gone = await http.delete(f"{url}/{fresh['id']}")
    assert gone.status_code == 200 and gone.json()["status"] == "discarded" and gone.json()["resolved_by"] == "admin"
    assert (await http.delete(f"{url}/{fresh['id']}")).status_code == 409


async def _twice(e2e, event):
    records = await e2e.read_topic("ats.candidates", {event.subject})
    return records if len(records) == 2 else None


async def test_changing_a_fields_mode_at_runtime_applies_at_once_and_resync_catches_up(e2e, http, api, email):
    addr = email("policy")
    cand = await api.create("ats", first_name="Pol", last_name="Icy", emails=[addr], headline="before")
    link = await api.link_of_candidate(cand["id"])
    policy_url = f"{e2e.gateway_url}/v1/field-policy"
    changed = await http.put(f"{policy_url}/headline", json={"mode": "none"})
    assert changed.status_code == 200 and changed.json()["previous_mode"] == "two_way"
    try:
        assert {p["field"]: p["mode"] for p in (await http.get(policy_url)).json()}["headline"] == "none"
        await api.patch("ats", cand["id"], headline="after", first_name="Polly")

        async def name_synced():
            p, _ = await api.get("crm", link["crm_prospect_id"])
            return p if p["first_name"] == "Polly" else None
        prospect = await e2e.wait_until(name_synced, 20, message="first_name synced")
        assert prospect["headline"] == "before"  # headline is `none` now: not carried
    finally:
        assert (await http.put(f"{policy_url}/headline", json={"mode": "two_way"})).status_code == 200
    resp = await http.post(f"{e2e.gateway_url}/v1/resync", json={"ats_candidate_ids": [cand["id"]]})
    assert resp.status_code == 202, resp.text

    async def finished():
        job = (await http.get(f"{e2e.gateway_url}{resp.headers['location']}")).json()
        return job if job["status"] not in ("queued", "running") else None
    job = await e2e.wait_until(finished, 15, message="the resync job finished")
    assert job["status"] == "succeeded" and job["progress"]["total"] == job["progress"]["done"] == 1
    prospect, _ = await api.get("crm", link["crm_prospect_id"])
    assert prospect["headline"] == "after"
    assert (await http.put(f"{policy_url}/no_such_field", json={"mode": "none"})).status_code == 404
    assert (await http.put(f"{policy_url}/headline", json={"mode": "sometimes"})).status_code == 422


async def test_concurrent_edits_leave_a_conflict_record(e2e, http, api, email):
    addr = email("conflict")
    cand = await api.create("ats", first_name="Con", last_name="Flict", emails=[addr])
    link = await api.link_of_candidate(cand["id"])
    values = await api.edit_both(cand["id"], link["crm_prospect_id"], "last_name", "FromAts", "FromCrm")

    async def recorded():  # the conflict of the two edits that raced (not of an earlier attempt's)
        data = (await http.get(f"{e2e.gateway_url}/v1/conflicts", params={"candidate": cand["id"]})).json()["data"]
        return [c for c in data if {c["ats_value"], c["crm_value"]} == set(values)] or None
    conflicts = await e2e.wait_until(recorded, 20, message=f"a conflict between {values}")
    c = conflicts[0]
    assert c["field"] == "last_name" and c["rule"] == "two_way" and c["winner"] in ("ats", "crm")
