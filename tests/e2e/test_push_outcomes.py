"""A push to an ATS job the ATS refuses ends as a failed push the recruiter sees (push resource, timeline), with
the reason, and no dead letter."""
import uuid


async def push(e2e, http, api, email, job_id: str) -> dict:
    prospect = await api.create("crm", first_name="Push", last_name="Refused", emails=[email("push-refused")], source="sourced")
    resp = await http.post(f"{e2e.crm_url}/v1/prospects/{prospect['id']}/push-to-job", json={"job_id": job_id},
                           headers={"Idempotency-Key": str(uuid.uuid4())})
    assert resp.status_code == 202, resp.text
    return resp.json()


async def outcome(e2e, http, push_id: str) -> dict:
    async def settled():
        body = (await http.get(f"{e2e.crm_url}/v1/pushes/{push_id}")).json()
        return body if body["status"] != "requested" else None
    return await e2e.wait_until(settled, 15, message="the push's outcome reported")


async def no_dead_letter_about(e2e, http, push_id: str) -> None:
    data = (await http.get(f"{e2e.gateway_url}/v1/dead-letters", params={"status": "", "limit": 200})).json()["data"]
    assert [d for d in data if push_id in (d["value"] or "")] == []


async def test_a_push_to_a_job_that_is_not_open_fails_with_the_reason(e2e, http, api, email):
    job = (await http.post(f"{e2e.ats_url}/v1/jobs", json={"title": "Draft role", "openings": 1})).json()  # never opened
    pushed = await push(e2e, http, api, email, job["id"])
    failed = await outcome(e2e, http, pushed["id"])
    assert failed["status"] == "failed" and failed["code"] == "job_closed", failed
    assert "open job" in failed["reason"]
    await no_dead_letter_about(e2e, http, pushed["id"])


async def test_a_push_to_a_job_the_ats_does_not_know_fails_as_job_not_found(e2e, http, api, email):
    pushed = await push(e2e, http, api, email, str(uuid.uuid4()))
    failed = await outcome(e2e, http, pushed["id"])
    assert (failed["status"], failed["code"]) == ("failed", "job_not_found"), failed
    await no_dead_letter_about(e2e, http, pushed["id"])
