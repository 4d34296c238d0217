"""Data-subject requests on the gateway's own clock: the due date and the overdue list move with it (the peers are
down in these tests, so only requests that wait for an identity check are exercised here; the end-to-end suite
carries requests out against the running ATS and CRM)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from talentkit.clock import FakeClock


def _ids(page: dict) -> set[str]:
    return {r["id"] for r in page["data"]}


async def test_a_request_not_served_within_a_month_shows_on_the_overdue_list_once_the_clock_passes_its_due_date(start_gateway):
    async with start_gateway("dsar_overdue") as gw:
        received = datetime.now(UTC).replace(microsecond=0) - timedelta(days=400)  # far from the wall clock
        gw.app.state.clock = clock = FakeClock(received)
        r = await gw.client.post("/v1/data-subject-requests", json={
            "type": "access", "emails": [f"late-{uuid.uuid4().hex[:8]}@example.com"], "requested_by": "data_subject",
            "identity_verified": False})
        assert r.status_code == 201, r.text
        req = r.json()
        assert datetime.fromisoformat(req["received_at"]) == received
        assert datetime.fromisoformat(req["due_at"]) == received + timedelta(days=30) and req["overdue"] is False
        assert req["id"] not in _ids((await gw.client.get("/v1/data-subject-requests?overdue=true")).json())

        clock.advance(days=30, seconds=-1)
        assert req["id"] in _ids((await gw.client.get("/v1/data-subject-requests?overdue=false")).json())

        clock.advance(seconds=2)
        late = (await gw.client.get("/v1/data-subject-requests?overdue=true")).json()
        assert req["id"] in _ids(late) and all(r["overdue"] for r in late["data"])
        assert req["id"] not in _ids((await gw.client.get("/v1/data-subject-requests?overdue=false")).json())
        assert (await gw.client.get(f"/v1/data-subject-requests/{req['id']}")).json()["overdue"] is True
