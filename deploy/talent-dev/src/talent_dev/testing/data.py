"""What a test reads back from a service's own storage and events: personal data left in a database, the opened
data of a sealed event."""
from __future__ import annotations

import base64
from typing import Any

from shared_schemas.envelope import EventEnvelope
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from talentkit.sealing import Unsealer


async def personal_data_hits(engine: AsyncEngine, needles: list[str]) -> list[tuple[str, str, str]]:
    """(table, column, needle) for every text, jsonb or array column of every table in the database that holds
    one of `needles` (case-insensitive): what an erasure test expects to be empty."""
    hits: list[tuple[str, str, str]] = []
    async with engine.connect() as conn:
        columns = (await conn.execute(text(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE' "
            "AND (c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY', 'bytea'))"))).all()
        for table, column, data_type in columns:
            as_text = f"encode(\"{column}\", 'escape')" if data_type == "bytea" else f'"{column}"::text'
            for needle in needles:
                found = (await conn.execute(text(
                    f'SELECT count(*) FROM "{table}" WHERE {as_text} ILIKE :n'), {"n": f"%{needle}%"})).scalar()
                if found:
                    hits.append((table, column, needle))
    return hits


async def opened_data(client: Any, record: Any) -> dict[str, Any]:
    """A Kafka record's event data with its sealed personal values opened, the keys fetched through `client` (an
    httpx client of the producing service whose default headers carry a key with `events:decrypt`)."""
    async def fetch(source: str, subject: str) -> bytes | None:
        r = await client.get(f"/v1/event-keys/{subject}")
        return base64.b64decode(r.json()["key"]) if r.status_code == 200 else None
    return (await Unsealer(fetch).open(EventEnvelope.from_kafka(record.headers, record.value))).envelope.data
