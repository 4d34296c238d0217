"""The audit trail (who, which request, what, before/after; append-only; hash chain that detects tampering),
the pipeline reports (funnel, time to hire, time to fill) and candidate merges, over HTTP against the real app on a
real PostgreSQL.

Tampering needs a database of its own (`tamper` below): a broken chain would fail every later verification."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from ats.config import Settings
from ats.main import create_app
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from talent_dev.testing import is_problem, problem_fields, running_app


# --------------------------------------------------------------------------------------------------- helpers
def stage(job: dict, name: str) -> str:
    return next(s["id"] for s in job["stages"] if s["name"] == name)


def rid() -> dict[str, str]:
    return {"X-Request-ID": f"req-{uuid.uuid4().hex}"}


async def ok(coro, status: int = 200) -> httpx.Response:
    r = await coro
    assert r.status_code == status, (r.status_code, r.text)
    return r


async def open_job(client: httpx.AsyncClient) -> dict:
    job = (await ok(client.post("/v1/jobs", json={"title": f"Role {uuid.uuid4().hex[:8]}"}), 201)).json()
    return (await ok(client.post(f"/v1/jobs/{job['id']}/open"))).json()


def email() -> str:
    return f"au-{uuid.uuid4().hex[:12]}@example.com"


async def candidate(client: httpx.AsyncClient, **body: Any) -> dict:
    body = {"first_name": "Ada", "last_name": "Lovelace", "emails": [email()], **body}
    return (await ok(client.post("/v1/candidates", json=body), 201)).json()


async def apply(client: httpx.AsyncClient, job: dict, candidate_id: str | None = None) -> dict:
    body: dict[str, Any] = {"job_id": job["id"]}
    body |= {"candidate_id": candidate_id} if candidate_id else {"candidate": {"first_name": "Al", "last_name": "B",
                                                                               "emails": [email()]}}
    return (await ok(client.post("/v1/applications", json=body), 201)).json()


async def move(client: httpx.AsyncClient, app: dict, job: dict, *names: str) -> dict:
    """Move the application through the named stages in turn, starting where it is."""
    current = app["stage"]["id"]
    for name in names:
        app = (await ok(client.post(f"/v1/applications/{app['id']}/move",
                                    json={"from_stage_id": current, "to_stage_id": stage(job, name)}))).json()
        current = app["stage"]["id"]
    return app


async def trail(client: httpx.AsyncClient, target_type: str, target_id: str) -> list[dict]:
    """Every audit entry of one target, following `next`."""
    out, url, params = [], "/v1/audit-events", {"target_type": target_type, "target_id": target_id, "limit": 3}
    while url:
        r = await ok(client.get(url, params=params))
        out += r.json()["data"]
        url, params = r.json()["next"], None
    return out


async def verify(client: httpx.AsyncClient) -> dict:
    return (await ok(client.get("/v1/audit-events/verify"))).json()


async def new_key(client: httpx.AsyncClient, *scopes: str) -> dict[str, str]:
    r = await ok(client.post("/v1/api-keys", json={"name": f"it-{uuid.uuid4().hex[:8]}", "scopes": list(scopes)}), 201)
    return {"Authorization": f"Bearer {r.json()['key']}"}


# ------------------------------------------------------------------------------------------------------ audit
async def test_every_job_write_is_audited_with_actor_request_id_action_and_before_after(ats):
    c = ats.client
    done: list[tuple[str, str]] = []  # (action, request id)

    async def write(action: str, coro_factory, status: int = 200) -> httpx.Response:
        h = rid()
        r = await ok(coro_factory(h), status)
        done.append((action, h["X-Request-ID"]))
        return r

    job = (await write("job.created", lambda h: c.post("/v1/jobs", json={"title": "Audited", "openings": 2}, headers=h), 201)).json()
    jid = job["id"]
    await write("job.updated", lambda h: c.patch(f"/v1/jobs/{jid}", json={"title": "Audited role"}, headers={**h, "If-Match": '"1"'}))
    h = rid()
    r = await c.post(f"/v1/jobs/{jid}/stages", json={"name": "Take-home", "kind": "interview"}, headers=h)
    assert r.status_code in (200, 201), r.text  # 201 as documented: see test_jobs_applications_api
    done.append(("job.stage_added", h["X-Request-ID"]))
    take_home = stage(r.json(), "Take-home")
    await write("job.stage_renamed", lambda h: c.patch(f"/v1/jobs/{jid}/stages/{take_home}", json={"name": "Homework"},
                                                       headers={**h, "If-Match": '"3"'}))
    ids = [s["id"] for s in (await c.get(f"/v1/jobs/{jid}")).json()["stages"]]
    await write("job.stages_reordered", lambda h: c.post(f"/v1/jobs/{jid}/stages/reorder", json={"stage_ids": [ids[0], ids[2], ids[1], *ids[3:]]}, headers=h))
    await write("job.stage_removed", lambda h: c.delete(f"/v1/jobs/{jid}/stages/{take_home}", headers=h))
    await write("job.opened", lambda h: c.post(f"/v1/jobs/{jid}/open", headers=h))
    await write("job.closed", lambda h: c.post(f"/v1/jobs/{jid}/close", json={"reason": "on_hold"}, headers=h))
    await write("job.reopened", lambda h: c.post(f"/v1/jobs/{jid}/reopen", headers=h))
    # refused writes leave no entry
    assert (await c.post(f"/v1/jobs/{jid}/open", headers=rid())).status_code == 409
    assert (await c.patch(f"/v1/jobs/{jid}", json={"title": "x"}, headers={"If-Match": '"1"'})).status_code == 412

    entries = await trail(c, "job", jid)
    assert [(e["action"], e["request_id"]) for e in entries] == done
    assert all(e["actor"] == "admin" and e["target_type"] == "job" and e["target_id"] == jid for e in entries)
    assert all(all(set(v) >= {"before", "after"} for v in e["changes"].values()) for e in entries), entries
    by = {e["action"]: e["changes"] for e in entries}
    assert by["job.created"]["title"] == {"before": None, "after": "Audited"}
    assert by["job.updated"] == {"title": {"before": "Audited", "after": "Audited role"}}
    assert by["job.stage_renamed"] == {f"stages.{take_home}.name": {"before": "Take-home", "after": "Homework"}}
    assert by["job.closed"]["close_reason"] == {"before": None, "after": "on_hold"}
    assert by["job.opened"]["status"] == {"before": "draft", "after": "open"}
    assert by["job.reopened"]["status"] == {"before": "closed", "after": "open"}
    assert [e["id"] for e in entries] == sorted(e["id"] for e in entries)
    assert (await verify(c))["ok"] is True


async def test_every_application_write_is_audited(ats):
    c = ats.client
    job, target = await open_job(c), await open_job(c)
    h = rid()
    app = (await ok(c.post("/v1/applications", json={"job_id": job["id"], "candidate": {
        "first_name": "Au", "last_name": "Dit", "emails": [email()]}}, headers=h), 201)).json()
    expected = [("application.created", h["X-Request-ID"])]
    aid = app["id"]
    reason = (await ok(c.post("/v1/reject-reasons", json={"name": f"no {uuid.uuid4().hex[:6]}", "kind": "we_rejected"}), 201)).json()
    steps = [
        ("application.moved", "move", {"from_stage_id": stage(job, "Applied"), "to_stage_id": stage(job, "Screen")}),
        ("application.rejected", "reject", {"reject_reason_id": reason["id"], "notes": "not now"}),
        ("application.unrejected", "unreject", None),
        ("application.hired", "hire", {"override": True, "override_reason": "exec hire"}),
        ("application.unhired", "unhire", None),
        ("application.transferred", "transfer", {"job_id": target["id"]}),
    ]
    for action, path, body in steps:
        h = rid()
        await ok(c.post(f"/v1/applications/{aid}/{path}", json=body, headers=h))
        expected.append((action, h["X-Request-ID"]))
    entries = await trail(c, "application", aid)
    assert [(e["action"], e["request_id"]) for e in entries] == expected
    by = {e["action"]: e["changes"] for e in entries}
    assert by["application.created"]["job_id"] == {"before": None, "after": job["id"]}
    assert by["application.moved"] == {"stage": {"before": "Applied", "after": "Screen"}}
    assert by["application.rejected"]["status"] == {"before": "active", "after": "rejected"}
    assert by["application.unrejected"]["status"] == {"before": "rejected", "after": "active"}
    assert by["application.hired"]["hire_override"]["after"] is True
    assert by["application.unhired"]["stage"] == {"before": "Hired", "after": "Screen"}
    assert by["application.transferred"]["job_id"] == {"before": job["id"], "after": target["id"]}
    # the inline candidate's creation is audited on the candidate
    assert [e["action"] for e in await trail(c, "candidate", app["candidate_id"])] == ["candidate.created"]
    # filters combine: actor and after
    assert await trail(c, "application", str(uuid.uuid4())) == []
    r = await ok(c.get("/v1/audit-events", params={"target_id": aid, "actor": "nobody"}))
    assert r.json()["data"] == []
    assert (await verify(c))["ok"] is True


async def test_an_on_behalf_of_write_records_both_principal_and_user(ats):
    job = (await ok(ats.client.post("/v1/jobs", json={"title": "Obo"}, headers={"On-Behalf-Of": "rita@example.com"}), 201)).json()
    [entry] = await trail(ats.client, "job", job["id"])
    assert entry["actor"] == "admin" and entry["on_behalf_of"] == "rita@example.com"
    assert job["created_by"] == "admin"  # the record names the principal; the user is in the audit trail


async def test_audit_rows_cannot_be_updated_deleted_or_truncated_through_sql(ats):
    await open_job(ats.client)
    async with ats.engine.connect() as conn:
        last = (await conn.execute(text("SELECT max(id) FROM audit_events"))).scalar()
    assert last
    for sql in (f"UPDATE audit_events SET changes = '{{}}'::jsonb WHERE id = {last}",
                f"UPDATE audit_events SET actor = 'mallory' WHERE id = {last}",
                f"DELETE FROM audit_events WHERE id = {last}",
                "DELETE FROM audit_events",
                "TRUNCATE audit_events"):
        async with ats.engine.connect() as conn:
            with pytest.raises(DBAPIError) as err:
                await conn.execute(text(sql))
                await conn.commit()
            assert "audit" in str(err.value).lower() or "append" in str(err.value).lower(), str(err.value)
    async with ats.engine.connect() as conn:
        assert (await conn.execute(text(f"SELECT count(*) FROM audit_events WHERE id = {last} AND actor = 'admin'"))).scalar() == 1
    result = await verify(ats.client)
    assert result["ok"] is True and result["first_broken_id"] is None and result["checked"] >= last - 5


async def test_the_audit_trail_needs_the_audit_scope(ats):
    reader = await new_key(ats.client, "ats:read")
    writer = await new_key(ats.client, "ats:read", "ats:write")
    auditor = await new_key(ats.client, "ats:audit")
    for headers in (reader, writer):
        p = is_problem(await ats.anon.get("/v1/audit-events", headers=headers), 403)
        assert p["required_scope"] == "ats:audit"
        is_problem(await ats.anon.get("/v1/audit-events/verify", headers=headers), 403)
    is_problem(await ats.anon.get("/v1/audit-events"), 401)
    is_problem(await ats.anon.get("/v1/audit-events/verify"), 401)
    assert (await ats.anon.get("/v1/audit-events", params={"limit": 1}, headers=auditor)).status_code == 200
    r = await ats.anon.get("/v1/audit-events/verify", headers=auditor)
    assert r.status_code == 200 and r.json()["ok"] is True
    # a key's writes are audited under the key's principal
    job = (await ok(ats.anon.post("/v1/jobs", json={"title": "By key"}, headers=writer), 201)).json()
    [entry] = await trail(ats.client, "job", job["id"])
    assert entry["actor"].startswith("key:it-")


async def test_audit_query_parameters_are_validated(ats):
    for params, field in (({"limit": 0}, "limit"), ({"limit": 10_000}, "limit"), ({"after": "soon"}, "after")):
        assert field in problem_fields(is_problem(await ats.client.get("/v1/audit-events", params=params), 422))
    is_problem(await ats.client.get("/v1/audit-events", params={"cursor": "garbage!"}), 400)


# ------------------------------------------------------------------------------------------------- tampering
@dataclass
class Tamper:
    client: httpx.AsyncClient
    engine: AsyncEngine


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def tamper(talent_stack) -> AsyncIterator[Tamper]:
    """An `ats_tamper` database and app of its own: tampering here cannot break the chain the module's other tests
    verify."""
    with talent_stack.database("ats-service", "ats_tamper") as url:
        key = "ats-tamper-admin-" + uuid.uuid4().hex
        settings = Settings.model_validate({"database_url": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                                            "TALENT_ADMIN_API_KEY": key, "relay_poll_seconds": 0.05})
        app = create_app(settings)
        engine = create_async_engine(url)
        async with running_app(app, headers={"Authorization": f"Bearer {key}"}) as client:
            yield Tamper(client=client, engine=engine)
        await engine.dispose()


async def _as_superuser_without_triggers(engine: AsyncEngine, sql: str, **params: Any) -> None:
    async with engine.begin() as conn:
        await conn.execute(text("SET LOCAL session_replication_role = replica"))
        await conn.execute(text(sql), params)


async def test_verify_finds_an_altered_entry_and_the_entry_after_a_deleted_one(tamper):
    c = tamper.client
    job = await open_job(c)
    for _ in range(3):
        await move(c, await apply(c, job), job, "Screen", "Interview")
    before = await verify(c)
    assert before["ok"] is True and before["first_broken_id"] is None and before["checked"] >= 12
    async with tamper.engine.connect() as conn:
        ids = list((await conn.execute(text("SELECT id FROM audit_events ORDER BY id"))).scalars())
        victim = ids[len(ids) // 2]
        original = (await conn.execute(text("SELECT changes::text FROM audit_events WHERE id = :i"), {"i": victim})).scalar()

    # alter one entry's changes: that entry is the first broken one
    await _as_superuser_without_triggers(
        tamper.engine, "UPDATE audit_events SET changes = jsonb_set(changes, '{forged}', '{\"before\": null, \"after\": 1}') WHERE id = :i",
        i=victim)
    result = await verify(c)
    assert result["ok"] is False and result["first_broken_id"] == victim, result
    assert result["checked"] == ids.index(victim) and "altered" in result["reason"]

    # put it back exactly: the chain holds again
    await _as_superuser_without_triggers(tamper.engine, "UPDATE audit_events SET changes = CAST(:c AS jsonb) WHERE id = :i",
                                         c=original, i=victim)
    assert (await verify(c))["ok"] is True

    # altering who did it is caught the same way
    await _as_superuser_without_triggers(tamper.engine, "UPDATE audit_events SET actor = 'mallory' WHERE id = :i", i=ids[1])
    assert (await verify(c))["first_broken_id"] == ids[1]
    await _as_superuser_without_triggers(tamper.engine, "UPDATE audit_events SET actor = 'admin' WHERE id = :i", i=ids[1])
    assert (await verify(c))["ok"] is True

    # delete a middle entry: the next one no longer links
    await _as_superuser_without_triggers(tamper.engine, "DELETE FROM audit_events WHERE id = :i", i=victim)
    result = await verify(c)
    nxt = ids[ids.index(victim) + 1]
    assert result["ok"] is False and result["first_broken_id"] == nxt, result
    assert "removed" in result["reason"]
    # new writes chain onto the (broken) end and do not hide the break
    await open_job(c)
    assert (await verify(c))["first_broken_id"] == nxt


# ------------------------------------------------------------------------------------------------------ reports
async def test_the_funnel_counts_applications_that_reached_each_stage_or_a_later_one(ats):
    c = ats.client
    job = await open_job(c)
    await apply(c, job)                                                         # Applied
    await move(c, await apply(c, job), job, "Screen")                           # Screen
    await move(c, await apply(c, job), job, "Screen", "Interview")              # Interview
    await move(c, await apply(c, job), job, "Final interview", "Screen")        # reached Final interview, back to Screen
    offer = await move(c, await apply(c, job), job, "Interview", "Offer")       # Offer, then hired
    await ok(c.post(f"/v1/applications/{offer['id']}/hire", json={}))
    rejected = await move(c, await apply(c, job), job, "Screen")                # Screen, then rejected: still reached it
    reason = (await ok(c.post("/v1/reject-reasons", json={"name": f"r {uuid.uuid4().hex[:6]}", "kind": "we_rejected"}), 201)).json()
    await ok(c.post(f"/v1/applications/{rejected['id']}/reject", json={"reject_reason_id": reason["id"]}))

    r = await ok(c.get("/v1/reports/funnel", params={"job_id": job["id"]}))
    funnel = r.json()
    assert funnel["job_id"] == job["id"] and funnel["applications"] == 6
    got = [(s["name"], s["kind"], s["reached"], s["conversion_to_next"]) for s in funnel["stages"]]
    assert got == [("Applied", "applied", 6, round(5 / 6, 4)), ("Screen", "screen", 5, 0.6),
                   ("Interview", "interview", 3, round(2 / 3, 4)), ("Final interview", "interview", 2, 0.5),
                   ("Offer", "offer", 1, 1.0), ("Hired", "hired", 1, None)]
    assert [s["stage_id"] for s in funnel["stages"]] == [s["id"] for s in job["stages"]]

    empty = (await ok(c.get("/v1/reports/funnel", params={"job_id": (await open_job(c))["id"]}))).json()
    assert empty["applications"] == 0 and all(s["reached"] == 0 and s["conversion_to_next"] is None for s in empty["stages"])
    is_problem(await c.get("/v1/reports/funnel", params={"job_id": str(uuid.uuid4())}), 404)
    assert "job_id" in problem_fields(is_problem(await c.get("/v1/reports/funnel"), 422))
    assert "job_id" in problem_fields(is_problem(await c.get("/v1/reports/funnel", params={"job_id": "x"}), 422))


async def test_time_to_hire_and_time_to_fill_after_hires(ats):
    c = ats.client
    job = await open_job(c)
    empty = (await ok(c.get("/v1/reports/time-to-hire", params={"job_id": job["id"]}))).json()
    assert empty == {"job_id": job["id"], "count": 0, "median_days": None, "p90_days": None}

    hires = []
    for days_ago in (10, 20, 40):
        app = await move(c, await apply(c, job), job, "Offer")
        await ok(c.post(f"/v1/applications/{app['id']}/hire", json={}))
        hires.append((app["id"], days_ago))
    # backdate the applications and the opening (stage history and jobs are ordinary tables)
    async with ats.engine.begin() as conn:
        for app_id, days_ago in hires:
            await conn.execute(text("UPDATE stage_history SET entered_at = entered_at - make_interval(days => :d) "
                                    "WHERE application_id = :a AND action = 'applied'"), {"d": days_ago, "a": app_id})
        await conn.execute(text("UPDATE jobs SET opened_at = opened_at - interval '50 days' WHERE id = :j"), {"j": job["id"]})

    tth = (await ok(c.get("/v1/reports/time-to-hire", params={"job_id": job["id"]}))).json()
    assert tth["job_id"] == job["id"] and tth["count"] == 3
    assert tth["median_days"] == pytest.approx(20, abs=0.02) and tth["p90_days"] == pytest.approx(40, abs=0.02)
    ttf = (await ok(c.get("/v1/reports/time-to-fill", params={"job_id": job["id"]}))).json()
    assert ttf["count"] == 3 and ttf["median_days"] == pytest.approx(50, abs=0.02) and ttf["p90_days"] == pytest.approx(50, abs=0.02)

    # an undone hire no longer counts
    await ok(c.post(f"/v1/applications/{hires[2][0]}/unhire"))
    tth = (await ok(c.get("/v1/reports/time-to-hire", params={"job_id": job["id"]}))).json()
    assert tth["count"] == 2 and tth["median_days"] == pytest.approx(15, abs=0.02) and tth["p90_days"] == pytest.approx(20, abs=0.02)
    # all jobs: at least these, with the fields present
    for name in ("time-to-hire", "time-to-fill"):
        everything = (await ok(c.get(f"/v1/reports/{name}"))).json()
        assert everything["job_id"] is None and everything["count"] >= 2
        assert everything["median_days"] is not None and everything["p90_days"] >= everything["median_days"]


async def test_a_rehire_counts_once_in_time_to_hire(ats):
    """Hire, unhire, hire again: one current hire, so one duration."""
    c = ats.client
    job = await open_job(c)
    app = await move(c, await apply(c, job), job, "Offer")
    await ok(c.post(f"/v1/applications/{app['id']}/hire", json={}))
    await ok(c.post(f"/v1/applications/{app['id']}/unhire"))
    await ok(c.post(f"/v1/applications/{app['id']}/hire", json={}))
    tth = (await ok(c.get("/v1/reports/time-to-hire", params={"job_id": job["id"]}))).json()
    assert tth["count"] == 1
    funnel = (await ok(c.get("/v1/reports/funnel", params={"job_id": job["id"]}))).json()
    assert funnel["applications"] == 1 and funnel["stages"][-1]["reached"] == 1


async def test_a_transferred_application_counts_in_its_new_jobs_time_to_hire(ats):
    c = ats.client
    old, new = await open_job(c), await open_job(c)
    app = await apply(c, old)
    app = (await ok(c.post(f"/v1/applications/{app['id']}/transfer", json={"job_id": new["id"]}))).json()
    await move(c, app, new, "Offer")
    await ok(c.post(f"/v1/applications/{app['id']}/hire", json={}))
    assert (await ok(c.get("/v1/reports/time-to-hire", params={"job_id": new["id"]}))).json()["count"] == 1
    assert (await ok(c.get("/v1/reports/time-to-hire", params={"job_id": old["id"]}))).json()["count"] == 0


# ------------------------------------------------------------------------------------------------------ merge
async def test_merge_moves_applications_and_notes_unions_contacts_and_marks_the_duplicate(ats):
    c = ats.client
    s_mail, d_mail = email(), email()
    survivor = await candidate(c, emails=[s_mail], phones=["+49 30 1234567"], tags=["python", "berlin"])
    duplicate = await candidate(c, emails=[d_mail, s_mail.upper()], phones=["+49 30 7654321"], tags=["berlin", "go"])
    job_s, job_d = await open_job(c), await open_job(c)
    s_app = await apply(c, job_s, survivor["id"])
    d_app = await move(c, await apply(c, job_d, duplicate["id"]), job_d, "Screen")
    note = (await ok(c.post(f"/v1/candidates/{duplicate['id']}/notes", json={"body": "met at a meetup"}), 201)).json()

    h = rid()
    r = await c.post(f"/v1/candidates/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]}, headers=h)
    assert r.status_code == 200, r.text
    merged = r.json()
    assert merged["id"] == survivor["id"] and merged["merged_into_id"] is None
    assert merged["emails"] == [s_mail, d_mail]
    assert merged["phones"] == ["+49 30 1234567", "+49 30 7654321"]
    assert merged["tags"] == ["python", "berlin", "go"]
    assert r.headers["etag"] == f'"{merged["version"]}"'

    dup = (await ok(c.get(f"/v1/candidates/{duplicate['id']}"))).json()
    assert dup["merged_into_id"] == survivor["id"]
    apps = (await ok(c.get("/v1/applications", params={"candidate_id": survivor["id"]}))).json()["data"]
    assert {a["id"] for a in apps} == {s_app["id"], d_app["id"]}
    assert (await ok(c.get("/v1/applications", params={"candidate_id": duplicate["id"]}))).json()["data"] == []
    moved = (await ok(c.get(f"/v1/applications/{d_app['id']}"))).json()
    assert moved["candidate_id"] == survivor["id"] and moved["stage"]["id"] == stage(job_d, "Screen")
    hist = (await ok(c.get(f"/v1/applications/{d_app['id']}/stage-history"))).json()
    assert [x["action"] for x in hist] == ["applied", "moved"]  # the history came along
    notes = (await ok(c.get(f"/v1/candidates/{survivor['id']}/notes"))).json()["data"]
    assert [n["id"] for n in notes] == [note["id"]] and notes[0]["candidate_id"] == survivor["id"]
    assert (await ok(c.get(f"/v1/candidates/{duplicate['id']}/notes"))).json()["data"] == []

    # audited on both candidates, in the merge request
    s_trail = await trail(c, "candidate", survivor["id"])
    merge_entry = next(e for e in s_trail if e["action"] == "candidate.merged")
    assert merge_entry["request_id"] == h["X-Request-ID"]
    assert merge_entry["changes"]["merged_id"] == {"before": None, "after": duplicate["id"]}
    assert merge_entry["changes"]["applications_moved"]["after"] == [d_app["id"]]
    d_trail = await trail(c, "candidate", duplicate["id"])
    assert d_trail[-1]["action"] == "candidate.merged_into"
    assert d_trail[-1]["changes"] == {"merged_into_id": {"before": None, "after": survivor["id"]}}

    # the event reaches Kafka
    records = await ats.events_for(duplicate["id"], topic="ats.candidates", until=lambda rs: any(
        dict(x.headers).get("ce_type") == b"ats.candidate.merged.v1" for x in rs))
    rec = next(x for x in records if dict(x.headers)["ce_type"] == b"ats.candidate.merged.v1")
    assert d_mail not in rec.value.decode()  # personal values travel sealed with the person's key
    data = await ats.opened(rec)
    assert data["survivor_id"] == survivor["id"] and data["merged_id"] == duplicate["id"]
    assert set(data["candidate"]["emails"]) == {s_mail, d_mail}
    seqs = [int(dict(x.headers)["ce_sequence"]) for x in records]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert (await verify(c))["ok"] is True


async def test_merge_refuses_same_job_applications_a_second_merge_and_self_merge(ats):
    c = ats.client
    a, b = await candidate(c), await candidate(c)
    job = await open_job(c)
    app_a, app_b = await apply(c, job, a["id"]), await apply(c, job, b["id"])
    p = is_problem(await c.post(f"/v1/candidates/{a['id']}/merge", json={"duplicate_id": b["id"]}), 409)
    assert p["job_ids"] == [job["id"]]
    # nothing moved
    assert (await ok(c.get(f"/v1/applications/{app_b['id']}"))).json()["candidate_id"] == b["id"]
    assert (await ok(c.get(f"/v1/candidates/{b['id']}"))).json()["merged_into_id"] is None
    assert (await ok(c.get(f"/v1/candidates/{a['id']}"))).json()["emails"] == a["emails"]
    del app_a

    x, y, z = await candidate(c), await candidate(c), await candidate(c)
    await ok(c.post(f"/v1/candidates/{x['id']}/merge", json={"duplicate_id": y["id"]}))
    p = is_problem(await c.post(f"/v1/candidates/{x['id']}/merge", json={"duplicate_id": y["id"]}), 409)
    assert p["merged_into_id"] == x["id"]
    is_problem(await c.post(f"/v1/candidates/{z['id']}/merge", json={"duplicate_id": y["id"]}), 409)
    is_problem(await c.post(f"/v1/candidates/{y['id']}/merge", json={"duplicate_id": z["id"]}), 409)
    assert problem_fields(is_problem(await c.post(f"/v1/candidates/{z['id']}/merge", json={"duplicate_id": z["id"]}), 422)) == {"duplicate_id"}
    is_problem(await c.post(f"/v1/candidates/{z['id']}/merge", json={"duplicate_id": str(uuid.uuid4())}), 404)
    is_problem(await c.post(f"/v1/candidates/{uuid.uuid4()}/merge", json={"duplicate_id": z["id"]}), 404)
    assert "duplicate_id" in problem_fields(is_problem(await c.post(f"/v1/candidates/{z['id']}/merge", json={}), 422))
    assert "duplicate_id" in problem_fields(is_problem(await c.post(f"/v1/candidates/{z['id']}/merge", json={"duplicate_id": "me"}), 422))
    assert "extra" in problem_fields(is_problem(await c.post(f"/v1/candidates/{z['id']}/merge",
                                                     json={"duplicate_id": x["id"], "extra": 1}), 422))
    is_problem(await c.post(f"/v1/candidates/{z['id']}/merge", content=b"{", headers={"Content-Type": "application/json"}), 400)


async def test_a_merged_candidate_cannot_start_new_applications(ats):
    """After a merge the duplicate is a tombstone (`merged_into_id`: use that one). Applying it to a job the survivor
    already applied to would give one person two applications to one job — what the merge itself refuses."""
    c = ats.client
    survivor, duplicate = await candidate(c), await candidate(c)
    await ok(c.post(f"/v1/candidates/{survivor['id']}/merge", json={"duplicate_id": duplicate["id"]}))
    job = await open_job(c)
    await apply(c, job, survivor["id"])
    r = await c.post("/v1/applications", json={"job_id": job["id"], "candidate_id": duplicate["id"]})
    assert r.status_code in (409, 422), (r.status_code, r.text)


async def test_opposite_concurrent_merges_give_one_200_and_one_409(ats):
    import asyncio
    c = ats.client
    for _ in range(3):
        a, b = await candidate(c), await candidate(c)
        results = await asyncio.gather(c.post(f"/v1/candidates/{a['id']}/merge", json={"duplicate_id": b["id"]}),
                                       c.post(f"/v1/candidates/{b['id']}/merge", json={"duplicate_id": a["id"]}))
        assert sorted(r.status_code for r in results) == [200, 409], [(r.status_code, r.text[:200]) for r in results]
        winner = next(r for r in results if r.status_code == 200).json()["id"]
        loser = a["id"] if winner == b["id"] else b["id"]
        assert (await ok(c.get(f"/v1/candidates/{loser}"))).json()["merged_into_id"] == winner
        assert (await ok(c.get(f"/v1/candidates/{winner}"))).json()["merged_into_id"] is None
    assert (await verify(c))["ok"] is True
