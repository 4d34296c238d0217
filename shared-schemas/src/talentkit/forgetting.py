"""The platform's own copies of a person's data, and how erasure removes them: published outbox rows kept for
operations and stored idempotent responses. (Unpublished rows must still go out, in order; their personal fields
are sealed with the person's key, which erasure shreds: see `talentkit.sealing`.)"""
from __future__ import annotations

from sqlalchemy import Text, cast, delete
from sqlalchemy.ext.asyncio import AsyncSession

from talentkit.db import PlatformTables


async def forget_platform_copies(session: AsyncSession, tables: PlatformTables, person_id: str) -> None:
    """Delete published outbox rows and stored idempotent responses that mention the person's id."""
    ob, idem = tables.outbox, tables.idempotency_keys
    pattern = f"%{person_id}%"
    await session.execute(delete(ob).where(ob.c.published_at.is_not(None), cast(ob.c.envelope, Text).like(pattern)))
    await session.execute(delete(idem).where(idem.c.response_body.like(pattern)))
