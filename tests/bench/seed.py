"""Bulk SQL seeding (COPY) of ATS candidates, optionally with the outbox rows the ATS would have written for them.

The rows are built from the ATS's candidate model (its `start`/`change`/`snapshot` rules) and the shared event
contracts and envelope, as the ATS's outbox writer builds them, and only written in bulk, so a backlog seeded here is what the relay would publish after the same
changes made through the API (minus the audit entries, which the sync never reads)."""
from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import JSONB, UUID

ACTOR = "bench-seed"
ATS_SOURCE = "/ats"  # the ATS's CloudEvents source (`ats.main.SOURCE`), written here so the bench never imports the app


def _pg_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


def _column_value(column: Any, value: Any) -> Any:
    if isinstance(column.type, JSONB):
        return json.dumps(value)
    if isinstance(column.type, UUID) and isinstance(value, str):
        return uuid.UUID(value)
    return value


async def copy_rows(conn: asyncpg.Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """COPY `rows` (dicts keyed by column name) into `table`; columns none of them sets keep their defaults."""
    if not rows:
        return
    columns = [c for c in table.columns if any(row.get(c.name) is not None for row in rows[:1])]
    records = [tuple(_column_value(c, row.get(c.name)) for c in columns) for row in rows]
    await conn.copy_records_to_table(table.name, records=records, columns=[c.name for c in columns])


def _person(run: str, i: int) -> dict[str, Any]:
    return {"first_name": "Seed", "last_name": f"Person{i}", "emails": [f"{run}-{i}@bench.example.com"],
            "phones": [], "location": "Berlin, Germany", "headline": f"Engineer {i}", "tags": ["bench"],
            "source": "bench"}


def _row(record: Any) -> dict[str, Any]:
    return {c.name: getattr(record, c.key) for c in record.__table__.columns}


def _outbox_row(record: Any, event_type: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The outbox row the ATS writes for this event of a candidate (no request context: no origin)."""
    from shared_schemas.envelope import EventEnvelope
    from shared_schemas.events import REGISTRY
    from shared_schemas.topics import ATS_CANDIDATES

    payload = REGISTRY[event_type].model_validate(data).model_dump(mode="json")  # the contract, checked
    envelope = EventEnvelope(source=ATS_SOURCE, type=event_type, subject=str(record.id), sequence=record.version,
                             data=payload, time=at)
    return {"event_id": envelope.id, "topic": ATS_CANDIDATES, "aggregate_type": "candidate",
            "aggregate_id": str(record.id), "event_type": event_type, "envelope": envelope.model_dump(mode="json")}


async def seed_candidates(database_url: str, run: str, count: int, *, with_events: bool) -> dict[str, Any]:
    """Insert `count` candidates in one transaction. With events: each is created and then its headline changed
    (2 outbox rows per person, the final headline `Final <i>`); returns the emails and their final headlines."""
    from ats.candidates.models import Candidate
    from ats.db import platform

    t0 = time.monotonic()
    people, created, updated, finals = [], [], [], {}
    now = datetime.now(UTC)
    for i in range(count):
        record = Candidate()
        record.id = uuid.uuid4()
        record.start(_person(run, i), at=now, actor=ACTOR)
        if with_events:
            created.append(_outbox_row(record, "ats.candidate.created.v1", {"candidate": record.snapshot()}, now))
            later = now + timedelta(milliseconds=1)
            changes = record.change({"headline": f"Final {i}"}, at=later, actor=ACTOR)
            updated.append(_outbox_row(record, "ats.candidate.updated.v1",
                                       {"candidate_id": record.id, "changes": changes, "candidate": record.snapshot()},
                                       later))
            finals[record.emails[0]] = record.headline
        people.append(_row(record))
    built = time.monotonic() - t0
    conn = await asyncpg.connect(_pg_url(database_url))
    try:
        async with conn.transaction():
            await copy_rows(conn, Candidate.__table__, people)  # type: ignore[arg-type]
            await copy_rows(conn, platform.outbox, created + updated)  # per person: created before updated
    finally:
        await conn.close()
    return {"people": count, "events": len(created) + len(updated), "finals": finals,
            "event_ids": [str(row["event_id"]) for row in created + updated],
            "build_s": built, "seconds": time.monotonic() - t0}


async def unpublished(database_url: str) -> int:
    """Outbox rows the relay has not published yet."""
    conn = await asyncpg.connect(_pg_url(database_url))
    try:
        return await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
    finally:
        await conn.close()


async def fetch_ids(database_url: str, table: str, limit: int = 1000) -> list[str]:
    """Ids of some rows of `table` (what the GET benchmarks read)."""
    conn = await asyncpg.connect(_pg_url(database_url))
    try:
        return [str(r[0]) for r in await conn.fetch(f'SELECT id FROM "{table}" ORDER BY random() LIMIT $1', limit)]
    finally:
        await conn.close()


async def count_rows(database_url: str, sql: str, *args: Any) -> int | None:
    """A count from a database, None when the query fails (a table renamed by later work)."""
    try:
        conn = await asyncpg.connect(_pg_url(database_url))
    except (OSError, asyncpg.PostgresError):
        return None
    try:
        return await conn.fetchval(sql, *args)
    except asyncpg.PostgresError:
        return None
    finally:
        await conn.close()
