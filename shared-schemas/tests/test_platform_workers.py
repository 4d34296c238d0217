"""Several worker processes per service (`WEB_CONCURRENCY` / `<PREFIX>_WORKERS`): a real ATS launched as
`make run` launches it, with two uvicorn workers on one database. Both serve, only one relays the outbox, and every
event is published exactly once; /metrics adds up what every worker counted."""
from __future__ import annotations

import asyncio
import uuid
import zlib
from pathlib import Path

import httpx
import pytest
from aiokafka import ConsumerRecord
from shared_schemas.topics import ATS_CANDIDATES
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from talent_dev.localstack import StackError, workers_for
from talent_dev.testing import ServiceProcess, free_port, header, read_topic

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
    def created(r: ConsumerRecord) -> bool:
        return header(r, "ce_subject") in ids and header(r, "ce_type") == "ats.candidate.created.v1"
    records = await read_topic(bootstrap, ATS_CANDIDATES, match=created, timeout=timeout,
                               until=lambda got: {header(r, "ce_subject") for r in got} == ids,
                               settle=2)  # duplicates would arrive right behind
    return [str(header(r, "ce_id")) for r in records]


async def test_two_workers_serve_one_database_and_publish_every_outbox_row_exactly_once(talent_stack, ats_database,
                                                                                        tmp_path):
    url = ats_database
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
