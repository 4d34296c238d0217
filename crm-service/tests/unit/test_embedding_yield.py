"""The embedding worker yields to requests: after a round during which requests kept the CRM busy it rests a
multiple of the round's time; while none came it goes straight on. No database: the round is replaced."""
import asyncio
from types import SimpleNamespace
from typing import Any

import httpx
from crm.config import Settings
from crm.embeddings import worker
from fastapi import FastAPI
from talentkit.observability import RequestActivity, install_request_middleware, request_activity


def _app(rest: float) -> Any:
    return SimpleNamespace(state=SimpleNamespace(settings=Settings(embedding_busy_rest=rest)))


def _run(monkeypatch: Any, app: Any, *, requests_in_flight: float, handled: int = 64) -> list[float]:
    """One `embed_pending` whose round takes about 50 ms while `requests_in_flight` requests are served on
    average; the rests it asked for."""
    activity, rests = RequestActivity(), []
    monkeypatch.setattr(worker, "request_activity", activity)

    async def round_(app: Any, limit: int) -> int:
        await asyncio.sleep(0.05)
        activity.add(0.05 * requests_in_flight)  # as the request middleware adds each finished request's time
        return handled

    async def sleep(seconds: float) -> None:
        rests.append(seconds)
    monkeypatch.setattr(worker, "_round", round_)
    monkeypatch.setattr(worker.background, "sleep", sleep)
    assert asyncio.run(worker.embed_pending(app)) == handled
    return rests


def test_a_round_while_requests_keep_the_crm_busy_is_followed_by_a_rest_of_four_times_its_length(monkeypatch):
    [rest] = _run(monkeypatch, _app(4.0), requests_in_flight=1.5)
    assert 4 * 0.05 <= rest < 4 * 0.5  # four times the round (50 ms and the loop's own time)


def test_without_requests_or_work_or_with_the_rest_turned_off_the_worker_goes_straight_on(monkeypatch):
    assert _run(monkeypatch, _app(4.0), requests_in_flight=0.02) == []  # a request now and then is not busy
    assert _run(monkeypatch, _app(4.0), requests_in_flight=3, handled=0) == []  # nothing embedded: nothing to yield
    assert _run(monkeypatch, _app(0), requests_in_flight=3) == []


def test_the_request_activity_is_the_average_number_of_requests_in_flight():
    activity = RequestActivity()
    start = activity.reading()
    activity.add(0.3)
    activity.add(0.2)
    elapsed, in_flight = activity.since((start[0] - 1.0, start[1]))  # as if one second had passed
    assert 1.0 <= elapsed < 1.5 and abs(in_flight - 0.5 / elapsed) < 1e-9


def test_every_request_through_the_middleware_adds_its_time_to_the_process_activity():
    app = FastAPI()

    @app.get("/slow")
    async def slow() -> dict[str, bool]:
        await asyncio.sleep(0.05)
        return {"ok": True}

    install_request_middleware(app, "test")

    async def call() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            assert (await client.get("/slow")).status_code == 200
    before = request_activity.seconds
    asyncio.run(call())
    assert request_activity.seconds - before >= 0.05
