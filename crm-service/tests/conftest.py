"""CRM integration fixtures: the real app (lifespan, outbox relay to the test Kafka) driven over ASGI on a migrated
database, a real SMTP server, and a real CRM process.

Isolation: each test module gets its own database (a copy of the session's migrated template) and its own app
(`crm`), and its own process when it asks for one (`crm_process`); the tests of one module share them (a fresh app
per test would cost more than most tests take). The SMTP server and the apps' embedding process (stateless: the
model) are the session's: tests tell their mail apart by recipient. Kafka topics are shared by every module: a test reads only records keyed by ids it made (`events_for`)."""
from __future__ import annotations

import html
import re
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import pytest_asyncio
from aiokafka import ConsumerRecord
from crm.config import Settings
from crm.main import create_app
from crm.sending.config import SendingSettings
from crm.sending.scheduler import Scheduler
from crm.sequences.clock import FakeClock
from talent_dev.testing import Inbox, ServiceProcess, free_port, read_topic, running_app, smtp_sink
from talentkit.embedding_process import BackgroundEmbedder

ADMIN_KEY = "crm-it-admin-" + uuid.uuid4().hex
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
WED_10_UTC = datetime(2026, 3, 4, 10, tzinfo=UTC)  # a Wednesday, inside the default send window


@dataclass
class CrmHarness:
    app: Any
    client: httpx.AsyncClient  # sends the admin key by default
    kafka_bootstrap: str

    @staticmethod
    def body(**overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"first_name": "Grace", "last_name": "Hopper",
                                "emails": [f"p-{uuid.uuid4().hex[:12]}@example.com"], "source": "sourced",
                                "headline": "Compiler pioneer", "tags": ["cobol"]}
        body.update(overrides)
        return body

    async def events_for(self, subject: str, *, until: Callable[[list[ConsumerRecord]], bool],
                         topic: str = "crm.prospects", timeout: float = 30.0) -> list[ConsumerRecord]:
        """Records of `topic` keyed by `subject` (read from the beginning), once `until(records)` holds."""
        return await read_topic(self.kafka_bootstrap, topic, match=lambda r: r.key == subject.encode(), until=until,
                                timeout=timeout)


class SessionEmbedder(BackgroundEmbedder):
    """The embedding process every module's CRM app uses: one started per module would load the model again each
    time (about a second a module). An app's shutdown leaves it running; the session stops it."""

    def close(self) -> None:
        """Kept for the next module's app (`stop` ends it)."""

    def stop(self) -> None:
        super().close()


@pytest.fixture(scope="session")
def embedding_process() -> Iterator[SessionEmbedder]:
    embedder = SessionEmbedder(nice=Settings.model_fields["embedding_nice"].default)
    yield embedder
    embedder.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def crm(talent_stack, embedding_process, request) -> AsyncIterator[CrmHarness]:
    """The CRM of this test module, on a database of its own."""
    with talent_stack.database("crm-service", "crm", request.path.stem) as url:
        settings = Settings.model_validate({"database_url": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                                            "TALENT_ADMIN_API_KEY": ADMIN_KEY})
        assert settings.embedding_nice == embedding_process.nice
        app = create_app(settings)
        app.state.background_embedder = embedding_process
        async with running_app(app, headers={"Authorization": f"Bearer {ADMIN_KEY}"}) as client:
            yield CrmHarness(app=app, client=client, kafka_bootstrap=talent_stack.kafka_bootstrap)


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def smtp() -> AsyncIterator[tuple[Inbox, int]]:
    """A real SMTP server on loopback for the whole session (tests tell their mail apart by recipient)."""
    with smtp_sink() as (inbox, port):
        yield inbox, port


class Visitor(httpx.AsyncClient):
    """A browser on the public pages: keeps its cookies and comes from its own IP, so rate limits of tests never meet."""

    def __init__(self, app: Any, ip: str | None = None) -> None:
        ip = ip or f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"
        super().__init__(transport=httpx.ASGITransport(app=app, client=(ip, 40000)), base_url="http://service")

    async def csrf(self, path: str) -> str:
        """Load a page and return the CSRF token of its form."""
        page = await self.get(path)
        assert page.status_code == 200, page.text
        return html.unescape(CSRF.search(page.text).group(1))

    async def submit(self, path: str, data: dict[str, str], *, form_page: str | None = None) -> httpx.Response:
        """Load the form (at `form_page`, default `path`) and POST it to `path` with its CSRF token."""
        return await self.post(path, data={"csrf_token": await self.csrf(form_page or path), **data})


@pytest.fixture
def visitor(crm: CrmHarness) -> Callable[..., Visitor]:
    return lambda ip=None: Visitor(crm.app, ip)


def signup_form(email_address: str, **over: str) -> dict[str, str]:
    return {"first_name": "Ada", "last_name": "Lovelace", "email": email_address, "interests": "backend, data",
            "skills": "python, kubernetes", "consent": "yes", "consent_version": "talent-community-2026-01", **over}


@pytest.fixture
def signup() -> Callable[..., dict[str, str]]:
    """The talent-community form as a person fills it in (without its CSRF token)."""
    return signup_form


@dataclass
class MailRig:
    """The CRM wired to the test SMTP server with a movable clock; the background scheduler is off and tests run
    its passes themselves."""

    crm: CrmHarness
    inbox: Inbox
    clock: FakeClock
    settings: SendingSettings
    public: httpx.AsyncClient  # no API key: what a recipient's mail client or browser sends

    def scheduler(self, **kw: Any) -> Scheduler:
        return Scheduler(self.crm.app.state.uow_factory, self.settings, self.clock, **kw)

    async def run(self, **kw: Any) -> tuple[int, int]:
        """One scheduler pass."""
        return await self.scheduler(**kw).run_once()

    async def prospect(self, **body: Any) -> tuple[str, str]:
        """A new prospect with email consent granted; returns (id, email address)."""
        addr = f"p-{uuid.uuid4().hex[:10]}@example.com"
        r = await self.crm.client.post("/v1/prospects", json=self.crm.body(emails=[addr], **body))
        assert r.status_code == 201, r.text
        pid = r.json()["id"]
        r = await self.crm.client.put(f"/v1/prospects/{pid}/consent/email", json={"status": "granted", "lawful_basis": "consent"})
        assert r.status_code == 200, r.text
        return pid, addr

    async def enroll(self, prospect_id: str, steps: list[dict[str, Any]], **enrollment: Any) -> str:
        """Enroll the prospect in a new sequence of `steps`; returns the enrollment id."""
        seq = await self.crm.client.post("/v1/sequences", json={"name": f"s-{uuid.uuid4().hex[:6]}", "steps": steps})
        assert seq.status_code == 201, seq.text
        e = await self.crm.client.post(f"/v1/sequences/{seq.json()['id']}/enrollments",
                                       json={"prospect_id": prospect_id, **enrollment})
        assert e.status_code == 201, e.text
        return e.json()["id"]

    async def messages(self, enrollment_id: str) -> list[dict[str, Any]]:
        return (await self.crm.client.get("/v1/messages", params={"enrollment_id": enrollment_id})).json()["data"]


TRACKING_SECRET = "rig-tracking-secret"


@pytest_asyncio.fixture(loop_scope="session")
async def mail(crm: CrmHarness, smtp: tuple[Inbox, int]) -> AsyncIterator[MailRig]:
    inbox, port = smtp
    clock = FakeClock(WED_10_UTC)
    settings = SendingSettings(smtp_port=port, mail_from="talent@acme.example", public_base_url="https://crm.acme.example",
                               tracking_secret=TRACKING_SECRET, scheduler_enabled=False)
    before = crm.app.state.crm_clock if hasattr(crm.app.state, "crm_clock") else None, \
        crm.app.state.sending_settings if hasattr(crm.app.state, "sending_settings") else None
    crm.app.state.crm_clock, crm.app.state.sending_settings = clock, settings
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=crm.app), base_url="http://service") as public:
            yield MailRig(crm, inbox, clock, settings, public)
    finally:
        crm.app.state.crm_clock, crm.app.state.sending_settings = before


@dataclass
class CrmProcess:
    url: str
    admin: dict[str, str]  # the Authorization header of the admin key
    inbox: Inbox  # where its scheduler delivers mail


@pytest.fixture(scope="module")
def crm_process(talent_stack, smtp, request) -> Iterator[CrmProcess]:
    """A real CRM process per test module (uvicorn, a database of its own, its own rate limits) whose scheduler
    delivers to the test SMTP server."""
    inbox, smtp_port = smtp
    with talent_stack.database("crm-service", "crm_process", request.path.stem) as url:
        admin = f"process-admin-{secrets.token_hex(8)}"
        log_dir = talent_stack.repo_root / ".local" / "test-logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        port = free_port()
        proc = ServiceProcess(factory="crm.main:create_app", port=port, bin_dir=talent_stack.venv_bin, env={
            "CRM_DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
            "TALENT_ADMIN_API_KEY": admin, "TALENT_GATEWAY_API_KEY": f"process-gw-{secrets.token_hex(8)}",
            "TALENT_ENVIRONMENT": "development", "CRM_PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "CRM_SMTP_PORT": str(smtp_port), "CRM_SCHEDULER_POLL_SECONDS": "0.2",
            "CRM_TRACKING_SECRET": secrets.token_hex(16)},
            log_path=log_dir / "crm-process.log")
        proc.start()
        try:
            yield CrmProcess(proc.url, {"Authorization": f"Bearer {admin}"}, inbox)
        finally:
            proc.stop()
