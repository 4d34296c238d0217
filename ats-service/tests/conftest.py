"""ATS integration fixtures: the real app (lifespan, outbox relay to the test Kafka) driven over ASGI on a migrated
database, and helpers to read what reached Kafka.

Isolation: each test module gets its own database (a copy of the session's migrated template), its own app and its
own SMTP sink, so no module sees another's candidates, jobs, audit chain or mail; the tests of one module share
them (a fresh app per test would cost more than most tests take). Kafka topics are shared by every module: a test
reads only records keyed by ids it made (`events_for`)."""
from __future__ import annotations

import asyncio
import html
import re
import secrets
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest_asyncio
import uvicorn
from aiokafka import ConsumerRecord
from ats.config import Settings
from ats.main import create_app, performers
from ats.tasks.worker import TaskRunner
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from talent_dev.testing import Inbox, free_port, opened_data, read_topic, running_app, smtp_sink

ADMIN_KEY = "ats-it-admin-" + uuid.uuid4().hex


@dataclass
class AtsHarness:
    app: Any
    client: httpx.AsyncClient  # sends the admin key by default
    anon: httpx.AsyncClient  # sends no Authorization header
    database_url: str
    kafka_bootstrap: str
    engine: AsyncEngine  # for direct checks of what was (not) stored

    @staticmethod
    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    inbox: Inbox | None = None

    new_email = staticmethod(lambda tag="c": new_email(tag))
    csrf_in = staticmethod(lambda page: csrf_in(page))
    serve = staticmethod(lambda app: serve(app))  # a fake outside party on a loopback port

    async def open_job(self, **fields: Any) -> dict[str, Any]:
        """A new open job with the default pipeline."""
        r = await self.client.post("/v1/jobs", json={"title": f"Engineer {uuid.uuid4().hex[:6]}", **fields})
        assert r.status_code == 201, r.text
        opened = await self.client.post(f"/v1/jobs/{r.json()['id']}/open")
        assert opened.status_code == 200, opened.text
        return opened.json()

    async def apply(self, job: dict[str, Any], email: str | None = None, **candidate: Any) -> dict[str, Any]:
        """A new candidate's application to `job`."""
        r = await self.client.post("/v1/applications", json={
            "job_id": job["id"], "candidate": candidate_body(emails=[email or new_email()], **candidate)})
        assert r.status_code == 201, r.text
        return r.json()

    async def run_tasks(self) -> int:
        """The task worker's passes (mail, HRIS, background checks) until nothing is due, as the background loop
        would run them; returns how many attempts were made."""
        runner, total = TaskRunner(self.app, performers()), 0
        for _ in range(100):
            done = await runner.run_once()
            total += done
            if not done:
                return total
        raise AssertionError("tasks kept coming due")

    def browser(self, ip: str | None = None) -> httpx.AsyncClient:
        """A browser-like client of the public pages (keeps cookies) from its own address, so that rate limits of
        tests never meet."""
        ip = ip or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app, client=(ip, 40000)), base_url="http://service")
    body = staticmethod(lambda **overrides: candidate_body(**overrides))

    async def events_for(self, subject: str, *, until: Callable[[list[ConsumerRecord]], bool],
                         topic: str = "ats.candidates", timeout: float = 30.0,
                         subjects: set[str] | None = None) -> list[ConsumerRecord]:
        """Records of `topic` whose key is `subject` (or one of `subjects`), once `until(records)` holds."""
        keys = {s.encode() for s in subjects or {subject}}
        return await read_topic(self.kafka_bootstrap, topic, match=lambda r: r.key in keys, until=until, timeout=timeout)

    async def opened(self, record: ConsumerRecord) -> dict[str, Any]:
        """The record's data with its sealed personal values opened (keys from `/v1/event-keys`)."""
        return await opened_data(self.client, record)

    async def create(self, **overrides: Any) -> httpx.Response:
        r = await self.client.post("/v1/candidates", json=candidate_body(**overrides))
        assert r.status_code == 201, r.text
        return r

    async def count(self, client: httpx.AsyncClient | None = None) -> int:
        """How many candidates the list endpoint shows, following `next` to the end."""
        n, url = 0, "/v1/candidates?limit=200"
        while url:
            r = await (client or self.client).get(url)
            assert r.status_code == 200, r.text
            n += len(r.json()["data"])
            url = r.json()["next"]
        return n


@asynccontextmanager
async def serve(app: Any) -> AsyncIterator[str]:
    """Run an ASGI app (a fake outside party: HRIS, background-check provider) on a free loopback port; yields
    its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    deadline = time.monotonic() + 10
    while not server.started:
        if task.done() or time.monotonic() > deadline:
            raise AssertionError("the fake server did not start")
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        await task


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_in(page: str) -> str:
    return html.unescape(CSRF.search(page).group(1))


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def ats(talent_stack, request) -> AsyncIterator[AtsHarness]:
    """The ATS of this test module, on a database of its own."""
    with smtp_sink() as (inbox, smtp_port), talent_stack.database("ats-service", "ats", request.path.stem) as url:
        settings = Settings.model_validate({
            "database_url": url,
            "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
            "TALENT_ADMIN_API_KEY": ADMIN_KEY,
            "relay_poll_seconds": 0.05,
            "smtp_port": smtp_port, "mail_from": "talent@acme.example", "public_base_url": "https://jobs.acme.example",
            "tasks_enabled": False,  # tests run the worker's passes themselves (`run_tasks`)
            "task_retry_base_seconds": 1.0,
        })
        assert settings.database_url == url and settings.kafka_bootstrap_servers == talent_stack.kafka_bootstrap
        app = create_app(settings)
        engine = create_async_engine(url)
        async with (running_app(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client,
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as anon):
            yield AtsHarness(app=app, client=client, anon=anon, database_url=url,
                             kafka_bootstrap=talent_stack.kafka_bootstrap, engine=engine, inbox=inbox)
        await engine.dispose()


def new_email(tag: str = "c") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@example.com"


def candidate_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"first_name": "Ada", "last_name": "Lovelace", "emails": [new_email()],
                            "phones": ["+44 20 7946 0958"], "location": "London", "headline": "Engineer",
                            "tags": ["python"], "source": "referral"}
    body.update(overrides)
    return body
