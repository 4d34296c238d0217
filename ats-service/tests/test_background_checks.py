"""Background checks against a fake provider (a Starlette app on a loopback port): the invitation flow after the
commit, signed status webhooks (signature, timestamp window, replays refused by event id), the status on the
application, and a `consider` result holding the hire through the adverse-action process on a controllable clock."""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest_asyncio
from ats.background_checks.webhooks import sign
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from talentkit.clock import FakeClock

SECRET = "dev-background-check-webhook-secret"


@dataclass
class FakeProvider:
    """Candidates and invitations, one per Idempotency-Key."""

    candidates: dict[str, dict[str, Any]] = field(default_factory=dict)
    invitations: dict[str, dict[str, Any]] = field(default_factory=dict)

    async def candidate(self, request: Request) -> JSONResponse:
        body = await request.json()
        made = self.candidates.setdefault(request.headers["idempotency-key"], {"id": f"cand_{uuid.uuid4().hex[:8]}", **body})
        return JSONResponse({"id": made["id"]}, status_code=201)

    async def invitation(self, request: Request) -> JSONResponse:
        body = await request.json()
        made = self.invitations.setdefault(request.headers["idempotency-key"], {"id": f"inv_{uuid.uuid4().hex[:8]}", **body})
        return JSONResponse({"id": made["id"], "invitation_url": f"https://provider.example/i/{made['id']}"}, status_code=201)


@pytest_asyncio.fixture(loop_scope="session")
async def provider(ats):
    fake = FakeProvider()
    app = Starlette(routes=[Route("/candidates", fake.candidate, methods=["POST"]),
                            Route("/invitations", fake.invitation, methods=["POST"])])
    async with ats.serve(app) as url:
        ats.app.state.settings.background_check_url = url
        try:
            yield fake
        finally:
            ats.app.state.settings.background_check_url = None


async def ordered(ats, provider) -> tuple[dict, dict]:
    job = await ats.open_job()
    app = await ats.apply(job, first_name="Ida")
    r = await ats.client.post(f"/v1/applications/{app['id']}/background-checks", json={
        "package": "tasker_standard",
        "consent": {"given": True, "given_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
                    "text_version": "fcra-2026-01"}})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "requested"
    await ats.run_tasks()
    check = (await ats.client.get(f"/v1/background-checks/{r.json()['id']}")).json()
    assert check["status"] == "invited" and check["invitation_url"].startswith("https://provider.example/i/")
    return app, check


async def webhook(ats, kind: str, check: dict, *, result: str | None = None, event_id: str | None = None,
                  at: float | None = None, secret: str = SECRET):
    body = json.dumps({"id": event_id or f"evt_{uuid.uuid4().hex}", "type": kind, "data": {"object": {
        "id": f"rep_{check['id'][:8]}", "candidate_id": check["provider_candidate_id"], "result": result}}}).encode()
    stamp = int(at if at is not None else time.time())
    return await ats.anon.post("/v1/background-checks/webhooks", content=body,
                               headers={"X-Signature": sign(secret, stamp, body), "Content-Type": "application/json"})


async def test_a_check_runs_from_invitation_to_a_clear_result_through_signed_webhooks(ats, provider) -> None:
    app, check = await ordered(ats, provider)
    [made] = [c for c in provider.candidates.values() if c["custom_id"] == check["id"]]
    assert (made["first_name"], made["email"]) == ("Ida", check and made["email"]) and made["email"].endswith("@example.com")
    assert check["provider_candidate_id"] == made["id"]
    await ats.run_tasks()  # nothing left to do: one candidate, one invitation
    assert len([c for c in provider.candidates.values() if c["custom_id"] == check["id"]]) == 1
    for kind, outcome in (("invitation.completed", "applied"), ("report.created", "stale")):  # already pending
        r = await webhook(ats, kind, check)
        assert r.status_code == 200 and r.json() == {"status": outcome}, r.text
        assert (await ats.client.get(f"/v1/background-checks/{check['id']}")).json()["status"] == "pending"
    r = await webhook(ats, "report.completed", check, result="clear")
    assert r.json() == {"status": "applied"}
    done = (await ats.client.get(f"/v1/background-checks/{check['id']}")).json()
    assert (done["status"], done["result"], done["provider_report_id"]) == ("completed", "clear", f"rep_{check['id'][:8]}")
    late = await webhook(ats, "report.created", check)  # late and out of order: no step back
    assert late.json() == {"status": "stale"}
    assert (await ats.client.get(f"/v1/applications/{app['id']}")).json()["background_check_status"] == "clear"
    records = await ats.events_for(check["id"], topic="ats.background_checks", until=lambda rs: len(rs) >= 4)
    assert [dict(r.headers)["ce_type"].decode() for r in records][:2] == [
        "ats.background_check.requested.v1", "ats.background_check.status_changed.v1"]
    assert json.loads(records[-1].value)["check"]["result"] == "clear"


async def test_webhooks_need_a_fresh_valid_signature_and_a_replay_changes_nothing(ats, provider) -> None:
    _, check = await ordered(ats, provider)
    assert (await webhook(ats, "report.completed", check, result="clear", secret="wrong")).status_code == 401
    stale = await webhook(ats, "report.completed", check, result="clear", at=time.time() - 600)
    assert stale.status_code == 401 and stale.json()["reason"] == "stale_timestamp"
    unsigned = await ats.anon.post("/v1/background-checks/webhooks", json={"id": "x"})
    assert unsigned.status_code == 401 and unsigned.headers["content-type"].startswith("application/problem+json")
    assert (await ats.client.get(f"/v1/background-checks/{check['id']}")).json()["status"] == "invited"

    first = await webhook(ats, "report.suspended", check, event_id="evt_once")
    assert first.json() == {"status": "applied"}
    version = (await ats.client.get(f"/v1/background-checks/{check['id']}")).json()["version"]
    assert (await webhook(ats, "report.suspended", check, event_id="evt_once")).json() == {"status": "duplicate"}
    assert (await ats.client.get(f"/v1/background-checks/{check['id']}")).json()["version"] == version
    bad_type = await webhook(ats, "report.exploded", check)
    assert bad_type.status_code == 400 and bad_type.json()["field"] == "type"
    no_result = await webhook(ats, "report.completed", check)
    assert no_result.status_code == 400 and no_result.json()["field"] == "data.object.result"
    unknown = await webhook(ats, "report.created", {**check, "provider_candidate_id": "cand_nobody"})
    assert unknown.status_code == 404
    body = b"not json"
    garbage = await ats.anon.post("/v1/background-checks/webhooks", content=body,
                                  headers={"X-Signature": sign(SECRET, int(time.time()), body)})
    assert garbage.status_code == 400
    assert (await webhook(ats, "report.canceled", check)).json() == {"status": "applied"}
    assert (await ats.client.get(f"/v1/background-checks/{check['id']}")).json()["status"] == "cancelled"


async def test_consider_holds_the_hire_through_pre_adverse_notice_waiting_period_and_adverse_action(ats, provider) -> None:
    clock = FakeClock(datetime.now(UTC))
    ats.app.state.clock = clock
    try:
        app, check = await ordered(ats, provider)
        assert (await webhook(ats, "report.completed", check, result="consider", at=clock.now().timestamp())).status_code == 200
        hire = await ats.client.post(f"/v1/applications/{app['id']}/hire", json={"override": True, "override_reason": "x"})
        assert hire.status_code == 409 and hire.json()["background_check_id"] == check["id"]
        early = await ats.client.post(f"/v1/background-checks/{check['id']}/adverse-action", json={"reason": "record"})
        assert early.status_code == 409 and "pre-adverse notice first" in early.json()["detail"]
        notice = await ats.client.post(f"/v1/background-checks/{check['id']}/pre-adverse-action",
                                       json={"reason": "A conviction relevant to the role."})
        assert notice.status_code == 200, notice.text
        assert datetime.fromisoformat(notice.json()["waiting_until"]) == clock.now() + timedelta(days=5)
        await ats.run_tasks()
        candidate = (await ats.client.get(f"/v1/candidates/{app['candidate_id']}")).json()["emails"][0]
        [pre] = ats.inbox.to(candidate)
        assert pre["Subject"] == "About your background check" and "A conviction relevant" in pre.get_content()
        clock.advance(days=4, hours=23)
        waiting = await ats.client.post(f"/v1/background-checks/{check['id']}/adverse-action", json={"reason": "final"})
        assert waiting.status_code == 409
        assert datetime.fromisoformat(waiting.json()["waiting_until"]) == datetime.fromisoformat(notice.json()["waiting_until"])
        clock.advance(hours=1)
        final = await ats.client.post(f"/v1/background-checks/{check['id']}/adverse-action", json={"reason": "final"})
        assert final.status_code == 200 and final.json()["adjudication"] == "adverse_action"
        await ats.run_tasks()
        assert [m["Subject"] for m in ats.inbox.to(candidate)] == ["About your background check",
                                                                    "Our decision about your application"]
        assert (await ats.client.post(f"/v1/background-checks/{check['id']}/engage", json={})).status_code == 409
        again = await ats.client.post(f"/v1/applications/{app['id']}/hire", json={"override": True, "override_reason": "x"})
        assert again.status_code == 409
        assert (await ats.client.get(f"/v1/applications/{app['id']}")).json()["background_check_status"] == "adverse_action"
        records = await ats.events_for(check["id"], topic="ats.background_checks", until=lambda rs: sum(
            dict(r.headers)["ce_type"] == b"ats.background_check.adjudicated.v1" for r in rs) >= 2)
        assert [json.loads(r.value)["decision"] for r in records
                if dict(r.headers)["ce_type"] == b"ats.background_check.adjudicated.v1"] == ["pre_adverse_action", "adverse_action"]
    finally:
        ats.app.state.clock = None


async def test_engaging_after_consider_frees_the_hire_and_consent_is_required(ats, provider) -> None:
    app, check = await ordered(ats, provider)
    await webhook(ats, "report.completed", check, result="consider")
    assert (await ats.client.post(f"/v1/background-checks/{check['id']}/engage",
                                  json={"reason": "not relevant to the role"})).status_code == 200
    hire = await ats.client.post(f"/v1/applications/{app['id']}/hire", json={"override": True, "override_reason": "x"})
    assert hire.status_code == 200 and hire.json()["background_check_status"] == "engaged"
    clear_app, clear = await ordered(ats, provider)
    await webhook(ats, "report.completed", clear, result="clear")
    assert (await ats.client.post(f"/v1/background-checks/{clear['id']}/engage", json={})).status_code == 409
    no_consent = await ats.client.post(f"/v1/applications/{clear_app['id']}/background-checks", json={
        "package": "basic", "consent": {"given": False, "given_at": datetime.now(UTC).isoformat(), "text_version": "v1"}})
    assert no_consent.status_code == 422 and {e["field"] for e in no_consent.json()["errors"]} == {"consent.given"}
    missing = await ats.client.post(f"/v1/applications/{uuid.uuid4()}/background-checks", json={
        "package": "basic", "consent": {"given": True, "given_at": datetime.now(UTC).isoformat(), "text_version": "v1"}})
    assert missing.status_code == 404
