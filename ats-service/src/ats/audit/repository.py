"""Audit trail queries. Appends happen only in `audit.service.trail`, linked at COMMIT by the database's `audit_link`."""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.uow import UnitOfWork

from ats.applications.models import Application
from ats.audit.models import AuditEvent, AuditPersonalValues

_COLUMNS = ("occurred_at", "actor", "on_behalf_of", "request_id", "causation_id", "action", "target_type", "target_id",
            "changes", "subject_id", "personal_digest")


@dataclass
class AuditEntries:
    """Entries to append to the chain, written by the unit of work's closing statement to `audit_pending`, without
    a lock. At COMMIT the database's deferred trigger `audit_link` (a migration defines it) takes the chain's lock,
    reads the last hash, links the entries in order into `audit_events` and stores their personal values beside them
    (erasure deletes those; each entry keeps their digest). So the lock is held only inside the COMMIT: no ATS write
    waits for another's round trip to its service."""

    items: list[dict[str, Any]] = field(default_factory=list)
    canonicals: list[str] = field(default_factory=list)

    def add(self, entries: list[AuditEvent], canonicals: list[str]) -> None:
        for e, c in zip(entries, canonicals, strict=True):
            personal = None if e.personal is None else {
                "subject_id": e.personal.subject_id, "salt": e.personal.salt, "values": e.personal.values}
            self.items.append({"entry": {col: getattr(e, col) for col in _COLUMNS} | {"occurred_at": e.occurred_at.isoformat()},
                               "personal": personal})
            self.canonicals.append(c)

    def render(self, p: str) -> tuple[list[str], dict[str, Any], list[str]]:
        # The canonical texts go as text[] (hashed exactly as given); entries and personal values as one jsonb array.
        pending = (f"{p}pending AS (INSERT INTO audit_pending (entry, canonical, personal) "
                   f"SELECT i.item->'entry', c.canonical, NULLIF(i.item->'personal', 'null'::jsonb) "
                   f"FROM jsonb_array_elements(CAST(:{p}items AS jsonb)) WITH ORDINALITY AS i(item, n) "
                   f"JOIN unnest(CAST(:{p}canonicals AS text[])) WITH ORDINALITY AS c(canonical, n) USING (n) "
                   f"ORDER BY n RETURNING 1)")
        return [pending], {f"{p}items": json.dumps(self.items, default=str), f"{p}canonicals": self.canonicals}, \
            [f"(SELECT count(*) FROM {p}pending)"]


def append(uow: UnitOfWork, entries: list[AuditEvent], canonicals: list[str]) -> None:
    """Append entries (not yet stored) to the chain, in order, with their personal values (`entry.personal`), when
    the unit of work commits; `canonicals` are their canonical JSON texts."""
    uow.closing("audit", AuditEntries).add(entries, canonicals)


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
