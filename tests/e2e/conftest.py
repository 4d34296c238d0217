"""End-to-end stack: the ATS, the CRM and the sync gateway as real uvicorn processes on free ports, on fresh
databases of the session's real PostgreSQL, talking over the session's real Kafka broker.

Tests drive the system the way users and integrators do: HTTP against the services, aiokafka against the topics.
Every test uses its own uuid-based emails so that tests never see each other's people.
"""
from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord
from talent_dev.pytest_plugin import TalentStack
from talent_dev.testing import (
    ServiceProcess,
    free_port,
    header,
    opened_data,
    partitions_of,
    read_to_end,
    smtp_sink,
    start_all,
    wait_until,
)

ATS_TOPIC = "ats.candidates"
CRM_TOPIC = "crm.prospects"
DLQ_TOPIC = "dlq.sync-gateway"
GATEWAY_PRINCIPAL = "sync-gateway"


@dataclass
class E2EStack:
    """What the e2e tests get: the three services, their urls, the admin headers and Kafka."""

    ats: ServiceProcess
    crm: ServiceProcess
    gateway: ServiceProcess
    admin_key: str
    gateway_key: str
    kafka_bootstrap: str
    log_dir: Path
    mailbox: list[Any] = field(default_factory=list)  # every email the CRM sent (email.message.Message)
    broker: list[Any] = field(default_factory=list)  # [the Kafka process] (replaced by restart_broker)
    broker_args: tuple[Any, ...] = ()
    database_urls: dict[str, str] = field(default_factory=dict)  # by env prefix: ATS_, CRM_, GATEWAY_
    headers: dict[str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.headers = {"Authorization": f"Bearer {self.admin_key}"}

    @property
    def ats_url(self) -> str:
        return self.ats.url

    @property
    def crm_url(self) -> str:
        return self.crm.url

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    wait_until = staticmethod(wait_until)
    header = staticmethod(header)

    async def restart_broker(self) -> None:
        """Stop the e2e Kafka broker (SIGTERM) and start it again on the same ports and data."""
        from talent_dev import localstack as ls
        kafka_dir, port, controller, libs = self.broker_args
        await asyncio.to_thread(ls.stop_kafka, self.broker[0])
        self.broker[0] = await asyncio.to_thread(ls.start_kafka, kafka_dir, port, controller, libs)

    async def restart_gateway(self) -> None:
        """Start the gateway process again (same port, same consumer group), waiting for /readyz."""
        await asyncio.to_thread(self.gateway.start)

    async def partitions(self, topic: str) -> list[int]:
        """The partition numbers of `topic` (empty when it does not exist)."""
        return await partitions_of(self.kafka_bootstrap, topic)

    async def read_topic(self, topic: str, subjects: set[str] | None = None) -> list[ConsumerRecord]:
        """Every record on `topic` from the beginning up to the current end (a fresh consumer group, manual
        assignment), optionally only those whose `ce_subject` (or key, for non-CloudEvents) is in `subjects`."""
        records = await read_to_end(self.kafka_bootstrap, topic)
        if subjects is not None:
            keys = {s.encode() for s in subjects}
            records = [r for r in records if header(r, "ce_subject") in subjects or (r.key in keys)]
        return records

    async def opened(self, record: ConsumerRecord) -> dict[str, Any]:
        """The record's event data with its sealed personal values opened (keys from the producing service)."""
        base = self.ats_url if record.topic.startswith("ats.") else self.crm_url
        async with httpx.AsyncClient(base_url=base, headers=self.headers, timeout=15) as client:
            return await opened_data(client, record)

    async def produce(self, topic: str, value: bytes, key: bytes | None = None,
                      headers: list[tuple[str, bytes]] | None = None) -> None:
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka_bootstrap, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(topic, value=value, key=key, headers=headers or [])
        finally:
            await producer.stop()


@pytest.fixture
def midday_zone() -> str:
    """An IANA zone where it is about noon now: an "all day" send window (00:00-23:59, end exclusive) is open there
    whatever the hour of the run (in UTC, an enrollment made at 23:59 would wait until midnight)."""
    offset = 12 - datetime.now(UTC).hour  # hours ahead of UTC; Etc/GMT names count the other way
    return f"Etc/GMT{-offset:+d}"


def unique_email(tag: str = "p") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@e2e.example.com"


@pytest.fixture(scope="session")
def e2e_stack(talent_stack: TalentStack) -> Iterator[E2EStack]:
    """Fresh databases e2e_ats / e2e_crm / e2e_gateway, migrated, and the three services started as processes
    (logs under `.local/test-logs/`). Stopped at the end of the session."""
    repo = talent_stack.repo_root
    log_dir = repo / ".local" / "test-logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    urls = {}  # copies of the session's migrated templates (a migration each would take seconds)
    databases = (("e2e_ats", "ats-service", "ATS_"), ("e2e_crm", "crm-service", "CRM_"),
                 ("e2e_gateway", "sync-gateway", "GATEWAY_"))
    for db, service_dir, prefix in databases:
        urls[prefix] = talent_stack.templates.copy(service_dir, db)

    # A broker of its own: the in-process integration suites publish to the same topic names on the session's
    # broker, and the e2e gateway (which reads its topics from the beginning) must not chew through their events.
    from talent_dev import localstack as ls
    kafka_port, controller_port = free_port(), free_port()
    while controller_port == kafka_port:
        controller_port = free_port()
    kafka_dir = log_dir.parent / "test-stack" / f"e2e-kafka-{os.getpid()}"
    shutil.rmtree(kafka_dir, ignore_errors=True)
    broker = [ls.start_kafka(kafka_dir, kafka_port, controller_port, ls.fetch_kafka(repo))]
    bootstrap = f"127.0.0.1:{kafka_port}"

    admin_key, gateway_key = f"e2e-admin-{secrets.token_hex(8)}", f"e2e-gateway-{secrets.token_hex(8)}"
    common = {"KAFKA_BOOTSTRAP_SERVERS": bootstrap, "TALENT_ADMIN_API_KEY": admin_key,
              "TALENT_GATEWAY_API_KEY": gateway_key, "TALENT_ENVIRONMENT": "development"}
    ats_port, crm_port, gw_port = free_port(), free_port(), free_port()
    while len({ats_port, crm_port, gw_port}) < 3:
        crm_port, gw_port = free_port(), free_port()
    for name in ("e2e-ats.log", "e2e-crm.log", "e2e-gateway.log"):
        (log_dir / name).write_bytes(b"")  # this session's logs only
    ats = ServiceProcess(factory="ats.main:create_app", port=ats_port, bin_dir=talent_stack.venv_bin,
                         env={**common, "ATS_DATABASE_URL": urls["ATS_"]}, log_path=log_dir / "e2e-ats.log")
    # A real SMTP server receiving what the CRM sends.
    mail = contextlib.ExitStack()
    inbox, smtp_port = mail.enter_context(smtp_sink())
    crm_url = f"http://127.0.0.1:{crm_port}"
    crm = ServiceProcess(factory="crm.main:create_app", port=crm_port, bin_dir=talent_stack.venv_bin,
                         env={**common, "CRM_DATABASE_URL": urls["CRM_"], "CRM_SMTP_HOST": "127.0.0.1",
                              "CRM_SMTP_PORT": str(smtp_port), "CRM_PUBLIC_BASE_URL": crm_url,
                              "CRM_SCHEDULER_POLL_SECONDS": "0.2"},
                         log_path=log_dir / "e2e-crm.log")
    gateway = ServiceProcess(factory="sync_gateway.main:create_app", port=gw_port, bin_dir=talent_stack.venv_bin,
                             env={**common, "GATEWAY_DATABASE_URL": urls["GATEWAY_"],
                                  "GATEWAY_ATS_URL": ats.url, "GATEWAY_CRM_URL": crm.url,
                                  "GATEWAY_CONSUMER_GROUP": "sync-gateway", "GATEWAY_WEBHOOKS_DESTINATIONS": "loopback"},
                             log_path=log_dir / "e2e-gateway.log")
    try:
        start_all([ats, crm, gateway])  # side by side: their start-ups overlap
        yield E2EStack(ats=ats, crm=crm, gateway=gateway, admin_key=admin_key, gateway_key=gateway_key,
                       kafka_bootstrap=bootstrap, log_dir=log_dir, mailbox=inbox.received, broker=broker,
                       broker_args=(kafka_dir, kafka_port, controller_port, ls.fetch_kafka(repo)), database_urls=urls)
    finally:
        for proc in (gateway, crm, ats):  # the consumer first, so it never sees its peers go away
            proc.stop()
        ls.stop_kafka(broker[0])
        shutil.rmtree(kafka_dir, ignore_errors=True)
        mail.close()
        for db, _, _ in databases:
            talent_stack.templates.drop(db)


@pytest.fixture
async def e2e(e2e_stack: E2EStack) -> AsyncIterator[E2EStack]:
    """The stack, with the gateway guaranteed alive (a test that killed it and failed must not break the next)."""
    if e2e_stack.gateway.proc is None or e2e_stack.gateway.proc.poll() is not None:
        await e2e_stack.restart_gateway()
    yield e2e_stack


@pytest.fixture
async def http(e2e: E2EStack) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client with the admin key (absolute urls: e2e.ats_url, e2e.crm_url, e2e.gateway_url)."""
    async with httpx.AsyncClient(headers=e2e.headers, timeout=15) as client:
        yield client


class Api:
    """Small HTTP helpers over the public API (admin key)."""

    def __init__(self, e2e: E2EStack, http: httpx.AsyncClient) -> None:
        self.e2e, self.http = e2e, http

    def _base(self, side: str) -> str:
        return {"ats": f"{self.e2e.ats_url}/v1/candidates", "crm": f"{self.e2e.crm_url}/v1/prospects"}[side]

    async def create(self, side: str, **body: Any) -> dict[str, Any]:
        resp = await self.http.post(self._base(side), json=body, headers={"Idempotency-Key": str(uuid.uuid4())})
        assert resp.status_code == 201, resp.text
        return resp.json()

    async def get(self, side: str, record_id: str) -> tuple[dict[str, Any], str]:
        resp = await self.http.get(f"{self._base(side)}/{record_id}")
        assert resp.status_code == 200, resp.text
        return resp.json(), resp.headers["etag"]

    async def patch(self, side: str, record_id: str, **body: Any) -> dict[str, Any]:
        """PATCH with the current ETag (re-read and retry on 412: the gateway may write concurrently)."""
        for _ in range(5):
            _, etag = await self.get(side, record_id)
            resp = await self.http.patch(f"{self._base(side)}/{record_id}", json=body, headers={"If-Match": etag})
            if resp.status_code != 412:
                assert resp.status_code == 200, resp.text
                return resp.json()
        raise AssertionError(f"PATCH {side} {record_id} kept getting 412")

    async def edit_both(self, ats_id: str, crm_id: str, field: str, ats_value: str, crm_value: str) -> tuple[str, str]:
        """Edit one field on both sides at once, each against the version read before either edit, so neither side
        saw the other's edit: a real conflict. When the gateway carried one edit across first (the other answers
        412), the pair is tried again with new values. Returns the values the two sides were given."""
        for attempt in range(1, 6):
            values = (ats_value, crm_value) if attempt == 1 else (f"{ats_value} {attempt}", f"{crm_value} {attempt}")
            (_, ats_etag), (_, crm_etag) = await asyncio.gather(self.get("ats", ats_id), self.get("crm", crm_id))
            answers = await asyncio.gather(
                self.http.patch(f"{self._base('ats')}/{ats_id}", json={field: values[0]}, headers={"If-Match": ats_etag}),
                self.http.patch(f"{self._base('crm')}/{crm_id}", json={field: values[1]}, headers={"If-Match": crm_etag}))
            assert {a.status_code for a in answers} <= {200, 412}, [a.text for a in answers]
            if all(a.status_code == 200 for a in answers):
                return values
        raise AssertionError(f"the edits of {field} on both sides never raced")

    async def by_email(self, side: str, email: str) -> list[dict[str, Any]]:
        resp = await self.http.get(self._base(side), params={"email": email})
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    async def links(self, **params: str) -> list[dict[str, Any]]:
        resp = await self.http.get(f"{self.e2e.gateway_url}/v1/links", params=params)
        assert resp.status_code == 200, resp.text
        return resp.json()["data"]

    async def link_of_candidate(self, candidate_id: str, timeout: float = 15.0) -> dict[str, Any]:
        async def found() -> dict[str, Any] | None:
            data = await self.links(ats_candidate_id=candidate_id)
            return data[0] if data else None
        return await wait_until(found, timeout, message=f"a link for ATS candidate {candidate_id}")


@pytest.fixture
def api(e2e: E2EStack, http: httpx.AsyncClient) -> Api:
    return Api(e2e, http)


@pytest.fixture
def email() -> Callable[[str], str]:
    """`email("tag")` -> a unique address for this test."""
    return unique_email



