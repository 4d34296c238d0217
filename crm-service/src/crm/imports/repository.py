"""Import queries."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.imports.models import UNFINISHED, ImportRowError, ProspectImport
from crm.prospects.models import Prospect


async def get(session: AsyncSession, id: uuid.UUID, *, for_update: bool = False) -> ProspectImport | None:
    stmt = select(ProspectImport).where(ProspectImport.id == id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def same_file(session: AsyncSession, sha256: str, options_key: str) -> ProspectImport | None:
    """The import (not cancelled) of this file with these options."""
    return (await session.execute(select(ProspectImport).where(
        ProspectImport.sha256 == sha256, ProspectImport.options_key == options_key,
        ProspectImport.status != "cancelled"))).scalar_one_or_none()


async def by_idempotency_key(session: AsyncSession, principal_key: str, key: str) -> ProspectImport | None:
    return (await session.execute(select(ProspectImport).where(
        ProspectImport.principal_key == principal_key, ProspectImport.idempotency_key == key))).scalar_one_or_none()


async def claim_unfinished(session: AsyncSession) -> ProspectImport | None:
    """The oldest unfinished import no other worker holds, locked for this transaction (SKIP LOCKED)."""
    return (await session.execute(select(ProspectImport).where(ProspectImport.status.in_(UNFINISHED))
                                  .order_by(ProspectImport.created_at).limit(1)
                                  .with_for_update(skip_locked=True))).scalar_one_or_none()


async def content(session: AsyncSession, id: uuid.UUID) -> bytes | None:
    return (await session.execute(select(ProspectImport.content).where(ProspectImport.id == id))).scalar_one_or_none()


def errors_of(id: uuid.UUID) -> Select[Any]:
    return select(ImportRowError).where(ImportRowError.import_id == id)


async def live_by_emails(session: AsyncSession, emails: list[str]) -> dict[str, Prospect]:
    """Live (not merged, not erased) prospects having any of these emails, locked; email -> the oldest."""
    if not emails:
        return {}
    rows = (await session.execute(select(Prospect).where(
        Prospect.emails.overlap(emails), Prospect.merged_into_id.is_(None), Prospect.status != "erased")
        .order_by(Prospect.created_at.desc()).with_for_update())).scalars()
    return {e: p for p in rows for e in p.emails}  # oldest last: it wins
