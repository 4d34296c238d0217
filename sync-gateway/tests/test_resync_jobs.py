"""`POST /v1/resync` queues a background job (202): progress, cancel, one active job per scope, idempotent; runners
share the queue (SKIP LOCKED), take over a dead runner's job and resume it, and fail a job that keeps killing them.

The peers are down in these tests (closed port), so every link a job reaches fails with PeerUnavailable."""
import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sync_gateway.resync.runner import ResyncRunner
from talent_dev.testing import is_problem


async def add_links(gw, n: int) -> list[uuid.UUID]:
    ids = sorted(uuid.uuid4() for _ in range(n))
    async with gw.db.begin() as conn:
        for link_id in ids:
            await conn.execute(text("INSERT INTO links (id, ats_candidate_id, crm_prospect_id, matched_by, confidence) "
                                    "VALUES (:id, :a, :c, 'email', 1.0)"), {"id": link_id, "a": uuid.uuid4(), "c": uuid.uuid4()})
    return ids


async def abandoned_job(gw, *, claims: int, cursor: uuid.UUID | None = None, total: int | None = None,
                        done: int = 0) -> uuid.UUID:
    """A job a runner took on and then went silent (its lease ran out five minutes ago)."""
    job_id = uuid.uuid4()
    async with gw.db.begin() as conn:
        await conn.execute(text(
            "INSERT INTO resync_jobs (id, scope, all_links, ats_candidate_ids, crm_prospect_ids, status, total, done, "
            "skipped, failed, conflicts, errors, cursor, runner, heartbeat_at, claims, requested_by, started_at) VALUES "
            "(:id, 'all', true, '{}', '{}', 'running', :total, :done, 0, 0, 0, '[]', :cursor, 'dead-host:1', :beat, "
            ":claims, 'admin', :beat)"),
            {"id": job_id, "total": total, "done": done, "cursor": cursor, "claims": claims,
             "beat": datetime.now(UTC) - timedelta(minutes=5)})
    return job_id


async def job(gw, job_id: str) -> dict:
    resp = await gw.client.get(f"/v1/resync-jobs/{job_id}")
    assert resp.status_code == 200, resp.text
    return resp.json()


@pytest.fixture(scope="module")
async def queue(start_gateway):
    """A gateway whose own runner is off: jobs stay queued until a test runs them."""
    async with start_gateway("resync_api", resync_runner_enabled=False, resync_link_attempts=1) as running:
        yield running


def runner_of(gw, **kw) -> ResyncRunner:
    return ResyncRunner(uow_factory=gw.app.state.uow_factory, profiles=gw.app.state.gateway.profiles,
                        link_attempts=1, **kw)


async def test_a_resync_request_answers_202_with_a_queued_job_and_where_to_follow_it(queue):
    cand = uuid.uuid4()
    resp = await queue.client.post("/v1/resync", json={"ats_candidate_ids": [str(cand)]})
    assert resp.status_code == 202, resp.text
    body = resp.json()
    assert resp.headers["location"] == f"/v1/resync-jobs/{body['id']}"
    assert body["status"] == "queued" and body["ats_candidate_ids"] == [str(cand)] and not body["all"]
    assert body["progress"] == {"total": None, "done": 0, "skipped": 0, "failed": 0, "conflicts": 0}
    assert body["requested_by"] == "admin" and body["errors"] == []
    assert (await job(queue, body["id"]))["status"] == "queued"
    listed = (await queue.client.get("/v1/resync-jobs", params={"status": "queued"})).json()["data"]
    assert body["id"] in [j["id"] for j in listed]


async def test_a_second_request_for_the_same_links_while_one_is_active_is_409_naming_it(queue):
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    first = await queue.client.post("/v1/resync", json={"ats_candidate_ids": [a, b]})
    assert first.status_code == 202
    again = is_problem(await queue.client.post("/v1/resync", json={"ats_candidate_ids": [b, a, a]}), 409)
    assert again["running_job"]["id"] == first.json()["id"]
    other = await queue.client.post("/v1/resync", json={"ats_candidate_ids": [a], "crm_prospect_ids": [b]})
    assert other.status_code == 202  # another set of links: another scope


async def test_concurrent_requests_for_everyone_make_exactly_one_job(queue):
    answers = await asyncio.gather(*(queue.client.post("/v1/resync", json={"all": True}) for _ in range(20)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(202) == 1 and codes.count(409) == 19, codes
    winner = next(r for r in answers if r.status_code == 202).json()
    assert {r.json()["running_job"]["id"] for r in answers if r.status_code == 409} == {winner["id"]}
    cancelled = await queue.client.post(f"/v1/resync-jobs/{winner['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


async def test_a_retry_with_the_same_idempotency_key_returns_the_same_job(queue):
    key, ids = str(uuid.uuid4()), {"crm_prospect_ids": [str(uuid.uuid4())]}
    first = await queue.client.post("/v1/resync", json=ids, headers={"Idempotency-Key": key})
    retry = await queue.client.post("/v1/resync", json=ids, headers={"Idempotency-Key": key})
    assert (first.status_code, retry.status_code) == (202, 202)
    assert retry.json()["id"] == first.json()["id"] and retry.headers["idempotent-replayed"] == "true"


async def test_cancelling_frees_the_scope_and_a_finished_job_cannot_be_cancelled(queue):
    ids = {"ats_candidate_ids": [str(uuid.uuid4())]}
    first = (await queue.client.post("/v1/resync", json=ids)).json()
    cancelled = await queue.client.post(f"/v1/resync-jobs/{first['id']}/cancel")
    assert cancelled.status_code == 200
    assert (cancelled.json()["status"], cancelled.json()["cancelled_by"]) == ("cancelled", "admin")
    assert cancelled.json()["finished_at"]
    is_problem(await queue.client.post(f"/v1/resync-jobs/{first['id']}/cancel"), 409)
    assert (await queue.client.post("/v1/resync", json=ids)).status_code == 202
    is_problem(await queue.client.post(f"/v1/resync-jobs/{uuid.uuid4()}/cancel"), 404)
    is_problem(await queue.client.get(f"/v1/resync-jobs/{uuid.uuid4()}"), 404)


@pytest.mark.parametrize(("body", "field"), [({}, "all"), ({"all": False, "ats_candidate_ids": []}, "all"),
                                             ({"all": True, "ats_candidate_ids": [str(uuid.uuid4())]}, "all"),
                                             ({"ats_candidate_ids": ["nope"]}, "ats_candidate_ids.0"),
                                             ({"everyone": True}, "everyone")])
async def test_bad_resync_requests_are_422_naming_the_field(queue, body, field):
    is_problem(await queue.client.post("/v1/resync", json=body), 422, field=field)


async def test_a_job_counts_each_link_it_could_not_reach_as_failed_with_the_error(start_gateway):
    async with start_gateway("resync_down", resync_runner_enabled=False) as gw:
        links = await add_links(gw, 3)
        queued = (await gw.client.post("/v1/resync", json={"all": True})).json()
        assert await runner_of(gw, batch=2).run_once()
        done = await job(gw, queued["id"])
        assert done["status"] == "succeeded" and done["attempts"] == 1
        assert done["progress"] == {"total": 3, "done": 0, "skipped": 0, "failed": 3, "conflicts": 0}
        assert sorted(e["link_id"] for e in done["errors"]) == sorted(str(i) for i in links)
        assert all("PeerUnavailable" in e["error"] for e in done["errors"])
        assert not await runner_of(gw).run_once()  # nothing left to do


async def test_a_job_left_running_by_a_dead_runner_is_taken_over_and_resumed_from_its_cursor(start_gateway):
    async with start_gateway("resync_takeover", resync_runner_enabled=False) as gw:
        links = await add_links(gw, 3)
        job_id = await abandoned_job(gw, claims=1, cursor=links[1], total=3, done=2)
        live = runner_of(gw, lease_seconds=60)
        assert await live.run_once()
        done = await job(gw, str(job_id))
        assert done["status"] == "succeeded" and done["attempts"] == 2
        assert done["progress"] | {"total": 3} == {"total": 3, "done": 2, "skipped": 0, "failed": 1, "conflicts": 0}
        assert [e["link_id"] for e in done["errors"]] == [str(links[2])]  # only what the dead runner had not done


async def test_a_job_whose_runner_keeps_dying_fails_instead_of_hanging(start_gateway):
    async with start_gateway("resync_dying", resync_runner_enabled=False) as gw:
        job_id = await abandoned_job(gw, claims=3)
        await runner_of(gw, max_claims=3).run_once()
        failed = await job(gw, str(job_id))
        assert failed["status"] == "failed" and failed["finished_at"]
        assert "stopped 3 times" in failed["errors"][-1]["error"]


async def test_two_runners_never_claim_the_same_job_and_a_live_lease_is_not_taken_over(start_gateway):
    async with start_gateway("resync_claims", resync_runner_enabled=False) as gw:
        await gw.client.post("/v1/resync", json={"all": True})
        one, two = runner_of(gw), runner_of(gw)
        claimed = await asyncio.gather(one._claim(), two._claim())
        assert sorted(c is None for c in claimed) == [False, True]
        assert await runner_of(gw)._claim() is None  # running, with a fresh lease


async def test_cancelling_a_running_job_stops_its_runner_after_the_batch_in_hand(start_gateway):
    async with start_gateway("resync_cancel", resync_runner_enabled=False) as gw:
        await add_links(gw, 4)
        queued = (await gw.client.post("/v1/resync", json={"all": True})).json()
        runner = runner_of(gw, batch=1)
        claimed = await runner._claim()
        assert claimed is not None and (await job(gw, queued["id"]))["status"] == "running"
        assert (await gw.client.post(f"/v1/resync-jobs/{queued['id']}/cancel")).status_code == 200
        assert await runner._walk(claimed) is None  # stopped: the job is no longer its to run
        stopped = await job(gw, queued["id"])
        assert stopped["status"] == "cancelled" and stopped["progress"]["failed"] == 0
