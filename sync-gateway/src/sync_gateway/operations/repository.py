"""Dead-letter queries, and the outbox row that sends a dead letter's event again."""
from __future__ import annotations

import uuid
from typing import Any

from shared_schemas.envelope import EventEnvelope
from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.errors import NotFound

from sync_gateway.db import platform
from sync_gateway.operations.models import DeadLetter


def letters(status: str | None) -> Select[Any]:
    """Dead letters, optionally in one state (for pagination)."""
    stmt = select(DeadLetter)
    return stmt.where(DeadLetter.status == status) if status else stmt


async def letter(session: AsyncSession, letter_id: uuid.UUID) -> DeadLetter:
    """The dead letter, locked for a change, or 404."""
    found = (await session.execute(select(DeadLetter).where(DeadLetter.id == letter_id).with_for_update())).scalar_one_or_none()
    if found is None:
        raise NotFound("No such dead letter.")
    return found


async def republish(session: AsyncSession, topic: str, envelope: EventEnvelope) -> None:
    """Write the original event, unchanged (same id, source, origin), to the gateway's outbox for its topic.

    The outbox keeps one row per event id: a second replay of the same event (dead-lettered again) marks that row
    unpublished again rather than adding one."""
    ob = platform.outbox
    row = {"event_id": envelope.id, "topic": topic, "aggregate_type": envelope.type.split(".")[1] if "." in envelope.type
           else envelope.type, "aggregate_id": envelope.subject, "event_type": envelope.type,
           "envelope": envelope.model_dump(mode="json")}
    await session.execute(insert(ob).values(row).on_conflict_do_update(
        index_elements=[ob.c.event_id], set_={"topic": topic, "envelope": row["envelope"], "published_at": None}))
