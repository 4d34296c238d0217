"""Sequence use cases: create (version 1), edit (a new version when the definition changes), read."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import NotFound

from crm.sequences.models import Sequence, SequenceVersion


async def get(session: AsyncSession, sequence_id: uuid.UUID, *, for_update: bool = False) -> Sequence:
    """The sequence, or 404."""
    stmt = select(Sequence).where(Sequence.id == sequence_id)
    seq = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if seq is None:
        raise NotFound(f"No sequence with id {sequence_id}.")
    return seq


async def version_of(session: AsyncSession, sequence_id: uuid.UUID, number: int) -> SequenceVersion:
    """One stored version of a sequence's definition."""
    return (await session.execute(select(SequenceVersion).where(
        SequenceVersion.sequence_id == sequence_id, SequenceVersion.number == number))).scalar_one()


def view(seq: Sequence, current: SequenceVersion) -> dict[str, Any]:
    """The sequence as the API shows it: settings plus its current definition."""
    return {**{c: getattr(seq, c) for c in ("id", "name", "sender_mailbox", "daily_cap", "min_gap_seconds", "version",
                                            "created_at", "updated_at", "created_by", "updated_by")},
            "sequence_version": seq.current_version, **current.definition()}


async def read(session: AsyncSession, sequence_id: uuid.UUID) -> dict[str, Any]:
    seq = await get(session, sequence_id)
    return view(seq, await version_of(session, seq.id, seq.current_version))


async def create(session: AsyncSession, values: dict[str, Any], ctx: RequestContext) -> dict[str, Any]:
    """Store a sequence and its first version."""
    seq, first = Sequence.create(values, ctx.actor)
    session.add(seq)
    await session.flush()
    session.add(first)
    await session.flush()
    return view(seq, first)


async def update(session: AsyncSession, sequence_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> dict[str, Any]:
    """Change settings and/or the definition (the latter makes a new version); needs If-Match."""
    seq = await get(session, sequence_id, for_update=True)
    check_if_match(if_match, seq.version)
    current = await version_of(session, seq.id, seq.current_version)
    _, new = seq.edit(values, current, ctx.actor)
    if new is not None:
        session.add(new)
    await session.flush()
    return view(seq, new or current)
