"""Credential queries on the platform table `api_keys` (both kinds, told apart by `kind`)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, RowMapping, Table, select, update
from sqlalchemy.ext.asyncio import AsyncSession


async def insert(session: AsyncSession, table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """Store a credential; returns the stored row."""
    return dict((await session.execute(table.insert().values(**values).returning(*table.c))).mappings().one())


async def of_kind(session: AsyncSession, table: Table, kind: str) -> list[dict[str, Any]]:
    """Every credential of the kind, newest first."""
    rows = (await session.execute(
        select(table).where(table.c.kind == kind).order_by(table.c.created_at.desc()))).mappings().all()
    return [dict(r) for r in rows]


async def revoke(session: AsyncSession, table: Table, kind: str, credential_id: str, at: datetime) -> bool:
    """Mark the credential revoked; False when there is none of this kind with this id."""
    res = cast(CursorResult[Any], await session.execute(
        update(table).where(table.c.id == credential_id, table.c.kind == kind).values(revoked_at=at)))
    return res.rowcount != 0


async def active(session: AsyncSession, table: Table, kind: str, credential_id: str) -> RowMapping | None:
    """A credential that is not revoked: what authenticating with it needs."""
    t = table
    return (await session.execute(select(t.c.id, t.c.name, t.c.scopes, t.c.key_hash, t.c.rate_limit).where(
        t.c.id == credential_id, t.c.kind == kind, t.c.revoked_at.is_(None)))).mappings().first()
