"""Audit trail queries. Appends happen only in `audit.service.trail`, through the database's `audit_append`."""
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
    """Entries to append to the chain, written by the unit of work's closing statement: `audit_append` (a
    migration defines it) takes the chain's lock, reads the last hash and inserts the entries linked in order; the
    entries' personal values go beside them (erasure deletes those; each entry keeps their digest). The lock is
    then held only from that statement, the last before COMMIT, to the COMMIT."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    canonicals: list[str] = field(default_factory=list)
    personal: list[dict[str, Any]] = field(default_factory=list)

    def add(self, entries: list[AuditEvent], canonicals: list[str]) -> None:
        for e, c in zip(entries, canonicals, strict=True):
            self.rows.append({col: getattr(e, col) for col in _COLUMNS} | {"occurred_at": e.occurred_at.isoformat()})
            self.canonicals.append(c)
            if e.personal is not None:
                self.personal.append({"n": len(self.rows), "subject_id": e.personal.subject_id, "salt": e.personal.salt,
                                      "values": e.personal.values})

    def render(self, p: str) -> tuple[list[str], dict[str, Any], list[str]]:
        appended = (f"{p}appended AS (SELECT a.id, a.n FROM audit_append(CAST(:{p}entries AS jsonb), "
                    f"CAST(:{p}canonicals AS text[])) WITH ORDINALITY AS a(id, n))")
        kept = (f"{p}kept AS (INSERT INTO audit_personal_values (entry_id, subject_id, salt, values) "
                f"SELECT a.id, v.subject_id, v.salt, v.values FROM {p}appended a "
                f"JOIN jsonb_to_recordset(CAST(:{p}personal AS jsonb)) AS v(n bigint, subject_id text, salt text, values jsonb) "
                f"ON v.n = a.n RETURNING 1)")
        return [appended, kept], {f"{p}entries": json.dumps(self.rows, default=str), f"{p}canonicals": self.canonicals,
                                  f"{p}personal": json.dumps(self.personal, default=str)}, [f"(SELECT count(*) FROM {p}appended)"]


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
