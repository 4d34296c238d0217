"""Several worker processes per service (`WEB_CONCURRENCY` / `<PREFIX>_WORKERS`): a real ATS launched as
`make run` launches it, with two uvicorn workers on one database. Both serve, only one relays the outbox, and every
event is published exactly once; /metrics adds up what every worker counted."""
from __future__ import annotations

import asyncio
import time
import uuid
import zlib
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from shared_schemas.topics import ATS_CANDIDATES
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talent_dev.localstack import StackError, workers_for
from talent_dev.testing import ServiceProcess, free_port

PEOPLE = 40


def worker_pids(supervisor: int) -> list[int]:
    """uvicorn's workers: the children of `supervisor` it spawned (not multiprocessing's resource tracker)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if (int(stat.read_text().rsplit(")", 1)[1].split()[1]) == supervisor
                    and b"spawn_main" in (stat.parent / "cmdline").read_bytes()):
                found.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


async def created_events(bootstrap: str, ids: set[str], timeout: float = 60) -> list[str]:
    """Event ids of `ats.candidate.created.v1` for `ids` on the topic, once every id has one (plus a settle)."""
    consumer = AIOKafkaConsumer(ATS_CANDIDATES, bootstrap_servers=bootstrap, group_id=None,
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    seen: list[tuple[str, str]] = []
    try:
        deadline = time.monotonic() + timeout
        settle_until = None
        while settle_until is None or time.monotonic() < settle_until:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {len({s for s, _ in seen})} of {len(ids)} created events arrived")
            for records in (await consumer.getmany(timeout_ms=300)).values():
                for r in records:
                    h = {k: v.decode() for k, v in r.headers}
                    if h.get("ce_subject") in ids and h.get("ce_type") == "ats.candidate.created.v1":
                        seen.append((h["ce_subject"], h["ce_id"]))
            if settle_until is None and {s for s, _ in seen} == ids:
                settle_until = time.monotonic() + 2  # duplicates would arrive right behind
    finally:
        await consumer.stop()
    return [event_id for _, event_id in seen]


async def test_two_workers_serve_one_database_and_publish_every_outbox_row_exactly_once(talent_stack, tmp_path):
    url = talent_stack.fresh_database("workers_ats")
    talent_stack.migrate("ats-service", url, "ATS_")
    key = uuid.uuid4().hex
    env = {"ATS_DATABASE_URL": url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap, "TALENT_ADMIN_API_KEY": key}
    service = ServiceProcess(factory="ats.main:create_app", port=free_port(), env=env, log_path=tmp_path / "ats.log",
                             bin_dir=talent_stack.venv_bin, workers=2)
    await asyncio.to_thread(service.start, 90)
    engine = create_async_engine(url)
    try:
        assert service.proc is not None and len(worker_pids(service.proc.pid)) == 2
        # a new connection per request: the kernel hands each to whichever worker accepts it
        async with httpx.AsyncClient(base_url=service.url, headers={"Authorization": f"Bearer {key}"},
                                     limits=httpx.Limits(max_keepalive_connections=0), timeout=30) as client:
            async def create(i: int) -> str:
                r = await client.post("/v1/candidates", headers={"Idempotency-Key": f"w-{i}"},
                                      json={"first_name": "Wor", "last_name": f"Ker{i}",
                                            "emails": [f"w{i}-{uuid.uuid4().hex[:8]}@example.com"]})
                assert r.status_code == 201, r.text
                return r.json()["id"]

            gate = asyncio.Semaphore(8)

            async def bounded(i: int) -> str:
                async with gate:
                    return await create(i)

            ids = set(await asyncio.gather(*(bounded(i) for i in range(PEOPLE))))
            metrics = (await client.get("/metrics")).text

        events = await created_events(talent_stack.kafka_bootstrap, ids)
        assert len(events) == len(set(events)) == PEOPLE  # each person's created event exactly once
        async with engine.connect() as conn:
            unpublished = (await conn.execute(text("SELECT count(*) FROM outbox WHERE published_at IS NULL"))).scalar_one()
            relays = (await conn.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = :k "
                "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"),
                {"k": zlib.crc32(b"outbox-relay:ats")})).scalar_one()
        assert unpublished == 0
        assert relays == 1  # one leader among the two workers' relays
        counted = sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
                      if line.startswith("http_requests_total{") and 'route="/v1/candidates"' in line and 'method="POST"' in line)
        assert counted == PEOPLE  # whichever worker answered /metrics counted the other's requests too
        assert len(worker_pids(service.proc.pid)) == 2  # nothing crashed
    finally:
        await engine.dispose()
        await asyncio.to_thread(service.stop)


def test_workers_come_from_the_service_setting_then_web_concurrency_and_refuse_nonsense():
    assert workers_for("ATS_", {}) == 1
    assert workers_for("ATS_", {"WEB_CONCURRENCY": "3"}) == 3
    assert workers_for("ATS_", {"WEB_CONCURRENCY": "3", "ATS_WORKERS": "2"}) == 2
    for bad in ("0", "two", "-1"):
        with pytest.raises(StackError, match="WORKERS"):
            workers_for("CRM_", {"CRM_WORKERS": bad})
