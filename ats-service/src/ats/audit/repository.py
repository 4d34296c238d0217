"""Audit trail queries. Appends happen only in `audit.service.trail`, through the database's `audit_append`."""
from __future__ import annotations

import json
import uuid
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application
from ats.audit.models import AuditEvent, AuditPersonalValues

_COLUMNS = ("occurred_at", "actor", "on_behalf_of", "request_id", "causation_id", "action", "target_type", "target_id",
            "changes", "subject_id", "personal_digest")
# audit_append (a migration defines it) takes the chain's lock, reads the last hash and inserts the entries linked
# in order; the entries' personal values go beside them (erasure deletes those; each entry keeps their digest).
# One round trip while the lock is held. text(): the unit of work opens its transaction before it.
_APPEND = text("""WITH appended AS (
        SELECT a.id, a.n FROM audit_append(CAST(:entries AS jsonb), CAST(:canonicals AS text[])) WITH ORDINALITY AS a(id, n)),
    kept AS (
        INSERT INTO audit_personal_values (entry_id, subject_id, salt, values)
        SELECT a.id, p.subject_id, p.salt, p.values
        FROM appended a JOIN jsonb_to_recordset(CAST(:personal AS jsonb)) AS p(n bigint, subject_id text, salt text, values jsonb)
             ON p.n = a.n
        RETURNING 1)
    SELECT id FROM appended ORDER BY n""")


async def append(session: AsyncSession, entries: list[AuditEvent], canonicals: list[str]) -> list[int]:
    """Append entries (not yet stored) to the chain, in order, with their personal values (`entry.personal`);
    `canonicals` are their canonical JSON texts. Returns the new entries' ids, in order."""
    rows = [{c: getattr(e, c) for c in _COLUMNS} | {"occurred_at": e.occurred_at.isoformat()} for e in entries]
    personal = [{"n": n, "subject_id": e.personal.subject_id, "salt": e.personal.salt, "values": e.personal.values}
                for n, e in enumerate(entries, start=1) if e.personal is not None]
    result = await session.execute(_APPEND, {"entries": json.dumps(rows, default=str), "canonicals": canonicals,
                                             "personal": json.dumps(personal, default=str)})
    return [row.id for row in result]


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


async def forget(session: AsyncSession, subject_id: str) -> int:
    """Delete the personal values kept for the candidate's entries; returns how many entries had some."""
    result = await session.execute(delete(AuditPersonalValues).where(AuditPersonalValues.subject_id == subject_id))
    return result.rowcount or 0  # type: ignore[attr-defined]


async def candidate_of_application(session: AsyncSession, application_id: str) -> str | None:
    """The candidate of an application (for entries whose event names only the application)."""
    found = (await session.execute(select(Application.candidate_id).where(Application.id == uuid.UUID(application_id)))).scalar()
    return str(found) if found else None
