"""The hire's hand-off to the HRIS, against a fake HRIS (a Starlette app on a loopback port) that counts calls and
employees: exactly one employee per hire across retries, lost answers and repeated worker passes; the status on
the application; the retry endpoint; `ats.application.hris_synced.v1`; an unhire after the hand-off raises an
alert event instead of silently diverging."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class FakeHris:
    """Creates one employee per Idempotency-Key; can fail the next calls, or create and then lose its answer."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    employees: dict[str, dict[str, Any]] = field(default_factory=dict)  # idempotency key -> body
    fail_next: int = 0
    lose_answer_next: int = 0
    refuse: bool = False

    async def create(self, request: Request) -> JSONResponse:
        body, key = await request.json(), request.headers.get("idempotency-key")
        self.calls.append({"key": key, "auth": request.headers.get("authorization"), "body": body})
        if self.refuse:
            return JSONResponse({"error": "job_title not known"}, status_code=400)
        if self.fail_next:
            self.fail_next -= 1
            return JSONResponse({"error": "maintenance"}, status_code=503)
        employee = self.employees.setdefault(key, {"id": f"emp-{len(self.employees) + 1}", **body})
        if self.lose_answer_next:  # created, but the answer never arrives
            self.lose_answer_next -= 1
            return JSONResponse({"error": "gateway timeout"}, status_code=504)
        return JSONResponse({"id": employee["id"]}, status_code=201)

    def for_application(self, application_id: str) -> list[dict[str, Any]]:
        return [e for e in self.employees.values() if e["remote_id"] == application_id]


@pytest_asyncio.fixture(loop_scope="session")
async def hris(ats):
    fake = FakeHris()
    async with ats.serve(Starlette(routes=[Route("/employees", fake.create, methods=["POST"])])) as url:
        settings = ats.app.state.settings
        before = (settings.hris_url, settings.hris_api_key)
        settings.hris_url, settings.hris_api_key = url, SecretStr("hris-token")
        try:
            yield fake
        finally:
            settings.hris_url, settings.hris_api_key = before


async def hired(ats, *, with_offer: bool = True, **job_fields) -> dict:
    job = await ats.open_job(title="Site reliability engineer", department="Platform", location="Berlin, Germany",
                             employment_type="full_time", hiring_manager="lena@acme.example", **job_fields)
    app = await ats.apply(job, first_name="Hedy", last_name="Lamarr", phones=["+49 30 1234567"])
    if with_offer:
        offer = await ats.client.post("/v1/offers", json={
            "application_id": app["id"], "start_date": "2031-04-01", "salary": "85000", "currency": "EUR",
            "approvers": ["cfo@acme.example"]})
        assert offer.status_code == 201, offer.text
        oid = offer.json()["id"]
        for action, headers in (("request-approval", {}), ("approve", {"On-Behalf-Of": "cfo@acme.example"}),
                                ("send", {}), ("accept", {})):
            r = await ats.client.post(f"/v1/offers/{oid}/{action}", headers=headers)
            assert r.status_code == 200, (action, r.text)
        body: dict = {"work_email": "hedy.lamarr@acme.example"}
    else:
        body = {"override": True, "override_reason": "internal transfer", "start_date": "2031-05-01"}
    r = await ats.client.post(f"/v1/applications/{app['id']}/hire", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["hris_status"] == "pending"
    return r.json()


async def application(ats, app_id: str) -> dict:
    return (await ats.client.get(f"/v1/applications/{app_id}")).json()


async def test_a_hire_reaches_the_hris_once_with_the_documented_employee_and_its_status_shows(ats, hris) -> None:
    app = await hired(ats)
    await ats.run_tasks()
    [employee] = hris.for_application(app["id"])
    assert employee == {
        "id": employee["id"], "remote_id": app["id"], "first_name": "Hedy", "last_name": "Lamarr",
        "display_full_name": "Hedy Lamarr", "work_email": "hedy.lamarr@acme.example",
        "personal_email": employee["personal_email"], "mobile_phone_number": "+49 30 1234567",
        "start_date": "2031-04-01", "job_title": "Site reliability engineer", "department": "Platform",
        "work_location": "Berlin, Germany", "manager": "lena@acme.example", "employment_type": "FULL_TIME",
        "compensation": {"amount": "85000.00", "currency": "EUR", "pay_period": "YEAR"}}
    assert employee["personal_email"].endswith("@example.com")
    assert {c["auth"] for c in hris.calls} == {"Bearer hris-token"}
    after = await application(ats, app["id"])
    assert (after["hris_status"], after["hris_employee_id"], after["hris_error"]) == ("sent", employee["id"], None)
    assert after["hris_synced_at"]
    for _ in range(2):  # later passes have nothing to do
        await ats.run_tasks()
    assert len([c for c in hris.calls if c["body"]["remote_id"] == app["id"]]) == 1
    records = await ats.events_for(app["id"], topic="ats.applications",
                                   until=lambda rs: any(dict(r.headers)["ce_type"] == b"ats.application.hris_synced.v1" for r in rs))
    [synced] = [json.loads(r.value) for r in records if dict(r.headers)["ce_type"] == b"ats.application.hris_synced.v1"]
    assert (synced["hris_employee_id"], synced["application_id"]) == (employee["id"], app["id"])


async def test_failures_and_a_lost_answer_are_retried_with_backoff_and_still_create_one_employee(ats, hris) -> None:
    hris.fail_next, hris.lose_answer_next = 2, 1
    app = await hired(ats, with_offer=False)
    for attempt in range(4):
        await ats.run_tasks()
        if attempt < 3:
            assert (await application(ats, app["id"]))["hris_status"] == "pending"
            async with ats.engine.begin() as conn:  # the backoff passes; it grows with each attempt
                row = (await conn.execute(text(
                    "SELECT attempts, extract(epoch FROM next_attempt_at - now()) AS wait FROM tasks WHERE dedupe_key LIKE :k"),
                    {"k": f"hris:{app['id']}:%"})).one()
                assert row.attempts == attempt + 1 and row.wait > 2 ** attempt * 0.5
                await conn.execute(text("UPDATE tasks SET next_attempt_at = now() WHERE dedupe_key LIKE :k"),
                                   {"k": f"hris:{app['id']}:%"})
    calls = [c for c in hris.calls if c["body"]["remote_id"] == app["id"]]
    assert len(calls) == 4 and len({c["key"] for c in calls}) == 1  # one idempotency key for the hire
    assert len(hris.for_application(app["id"])) == 1
    after = await application(ats, app["id"])
    assert after["hris_status"] == "sent" and after["hris_employee_id"] == hris.for_application(app["id"])[0]["id"]
    assert hris.for_application(app["id"])[0]["compensation"] is None  # no offer: no compensation to tell


async def test_a_refused_hand_off_fails_with_the_error_and_the_retry_endpoint_sends_it(ats, hris) -> None:
    hris.refuse = True
    app = await hired(ats)
    await ats.run_tasks()
    failed = await application(ats, app["id"])
    assert failed["hris_status"] == "failed" and "400" in failed["hris_error"] and "job_title" in failed["hris_error"]
    assert (await ats.client.post(f"/v1/applications/{uuid.uuid4()}/hris-handoff/retry")).status_code == 404
    hris.refuse = False
    r = await ats.client.post(f"/v1/applications/{app['id']}/hris-handoff/retry")
    assert r.status_code == 200 and r.json()["hris_status"] == "pending" and r.headers["etag"]
    again = await ats.client.post(f"/v1/applications/{app['id']}/hris-handoff/retry")
    assert again.status_code == 409 and again.json()["hris_status"] == "pending"
    await ats.run_tasks()
    assert (await application(ats, app["id"]))["hris_status"] == "sent"
    assert len(hris.for_application(app["id"])) == 1
    sent = await ats.client.post(f"/v1/applications/{app['id']}/hris-handoff/retry")
    assert sent.status_code == 409 and sent.headers["content-type"].startswith("application/problem+json")


async def test_an_unhire_before_the_hand_off_calls_it_off_and_after_it_raises_an_alert(ats, hris) -> None:
    early = await hired(ats, with_offer=False)
    r = await ats.client.post(f"/v1/applications/{early['id']}/unhire")
    assert r.status_code == 200 and r.json()["hris_status"] is None
    await ats.run_tasks()
    assert hris.for_application(early["id"]) == []

    late = await hired(ats, with_offer=False)
    await ats.run_tasks()
    [employee] = hris.for_application(late["id"])
    r = await ats.client.post(f"/v1/applications/{late['id']}/unhire")
    assert r.status_code == 200 and (r.json()["hris_status"], r.json()["hris_employee_id"]) == ("sent", employee["id"])
    records = await ats.events_for(late["id"], topic="ats.applications", until=lambda rs: any(
        dict(x.headers)["ce_type"] == b"ats.application.unhired_after_handoff.v1" for x in rs))
    [alert] = [json.loads(x.value) for x in records if dict(x.headers)["ce_type"] == b"ats.application.unhired_after_handoff.v1"]
    assert alert["hris_employee_id"] == employee["id"]
    trail = (await ats.client.get("/v1/audit-events", params={"target_id": late["id"]})).json()["data"]
    assert "application.unhired_after_handoff" in {e["action"] for e in trail}


async def test_without_an_hris_configured_the_hire_waits_and_then_fails_visibly(ats) -> None:
    assert ats.app.state.settings.hris_url is None
    app = await hired(ats, with_offer=False)
    async with ats.engine.begin() as conn:
        await conn.execute(text("UPDATE tasks SET attempts = :n WHERE dedupe_key LIKE :k"),
                           {"n": ats.app.state.settings.task_max_attempts - 1, "k": f"hris:{app['id']}:%"})
    await ats.run_tasks()
    after = await application(ats, app["id"])
    assert after["hris_status"] == "failed" and "ATS_HRIS_URL is not set" in after["hris_error"]
