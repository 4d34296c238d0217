"""A poison record goes to the dead-letter topic and the dead letters; the gateway keeps syncing."""
import uuid


async def test_malformed_record_is_dead_lettered_kept_unreplayable_and_sync_continues(e2e, api, email, http):
    marker = f"poison-{uuid.uuid4().hex}".encode()
    await e2e.produce("ats.candidates", b"not json", key=marker)  # no headers at all: not a CloudEvent

    async def dead_lettered():
        return [r for r in await e2e.read_topic("dlq.sync-gateway") if r.key == marker]
    parked = await e2e.wait_until(dead_lettered, 10, interval=0.3, message="the poison record on dlq.sync-gateway")
    assert len(parked) == 1
    record = parked[0]
    assert record.value == b"not json"  # parked unchanged
    error = e2e.header(record, "dlq_error")
    assert error and "InvalidEvent" in error, error
    assert e2e.header(record, "dlq_consumer") == "sync-gateway"

    async def letter():
        data = (await http.get(f"{e2e.gateway_url}/v1/dead-letters", params={"limit": 200})).json()["data"]
        return [d for d in data if d["value"] == "not json" and d["topic"] == "ats.candidates" and d["status"] == "open"]
    (kept, *_) = await e2e.wait_until(letter, 10, message="the poison record in /v1/dead-letters")
    refused = await http.post(f"{e2e.gateway_url}/v1/dead-letters/{kept['id']}/replay")
    assert refused.status_code == 409 and "not a CloudEvent" in refused.json()["detail"]  # nothing to send again
    assert (await http.delete(f"{e2e.gateway_url}/v1/dead-letters/{kept['id']}")).json()["status"] == "discarded"

    addr = email("afterpoison")
    cand = await api.create("ats", first_name="Barbara", last_name="Liskov", emails=[addr])
    link = await api.link_of_candidate(cand["id"], timeout=20)
    assert link["matched_by"] == "created_in_crm"
    assert [p["id"] for p in await api.by_email("crm", addr)] == [link["crm_prospect_id"]]
