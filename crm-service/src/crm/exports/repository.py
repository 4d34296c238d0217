"""Every row about one prospect: each CRM table with a `prospect_id` column, found from the metadata so that a
table added later is exported without anyone remembering to."""
from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.db import Base


def _plain(row: Any) -> dict[str, Any]:
    return json.loads(json.dumps(dict(row._mapping), default=str))


async def rows_about(session: AsyncSession, prospect_ids: list[uuid.UUID]) -> dict[str, list[dict[str, Any]]]:
    """{table: rows} of every table that refers to the prospects, in name order."""
    found: dict[str, list[dict[str, Any]]] = {}
    for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
        if "prospect_id" in table.c:
            rows = (await session.execute(select(table).where(table.c.prospect_id.in_(prospect_ids)))).all()
            if rows:
                found[table.name] = [_plain(r) for r in rows]
    return found
