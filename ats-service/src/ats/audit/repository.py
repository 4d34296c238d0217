"""Audit trail queries. Appends happen only in `audit.service.trail`, through the database's `audit_append`."""
from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ats.audit.models import AuditEvent

_COLUMNS = ("occurred_at", "actor", "on_behalf_of", "request_id", "causation_id", "action", "target_type", "target_id",
            "changes")
# audit_append (a migration defines it) takes the chain's lock, reads the last hash and inserts the entries linked
# in order: one round trip while the lock is held. text(): the unit of work opens its transaction before it.
_APPEND = text("SELECT audit_append(CAST(:entries AS jsonb), CAST(:canonicals AS text[]))")


async def append(session: AsyncSession, entries: list[AuditEvent], canonicals: list[str]) -> None:
    """Append entries (not yet stored) to the chain, in order; `canonicals` are their canonical JSON texts."""
    rows = [{c: getattr(e, c) for c in _COLUMNS} | {"occurred_at": e.occurred_at.isoformat()} for e in entries]
    await session.execute(_APPEND, {"entries": json.dumps(rows, default=str), "canonicals": canonicals})


async def entries(session: AsyncSession, *, after_id: int, limit: int, target_type: str | None = None,
                  target_id: str | None = None, actor: str | None = None,
                  occurred_after: datetime | None = None) -> list[AuditEvent]:
    """Up to `limit` entries after `after_id`, in the order they were written, filtered with AND."""
    stmt = select(AuditEvent).where(AuditEvent.id > after_id)
    for column, value in ((AuditEvent.target_type, target_type), (AuditEvent.target_id, target_id), (AuditEvent.actor, actor)):
        if value is not None:
            stmt = stmt.where(column == value)
    if occurred_after is not None:
        stmt = stmt.where(AuditEvent.occurred_at > occurred_after)
    return list((await session.execute(stmt.order_by(AuditEvent.id).limit(limit))).scalars())
