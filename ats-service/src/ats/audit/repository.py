"""Audit trail queries. Appends happen only in `audit.service.trail`, under the chain's lock."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application
from ats.audit.models import AuditEvent, AuditPersonalValues

_LOCK = 0x41554454  # "AUDT"


async def lock_chain(session: AsyncSession) -> str | None:
    """Take the chain's transaction-scoped lock (appends are serialized); return the last entry's hash."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    return (await session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))).scalar()


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
