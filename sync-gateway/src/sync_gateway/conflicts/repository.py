"""Conflict-log queries."""
from __future__ import annotations

import uuid

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.conflicts.models import Conflict


async def forget(session: AsyncSession, link_id: uuid.UUID) -> None:
    """Erasure: the conflicts of the person's link go with it (they hold both sides' values)."""
    await session.execute(delete(Conflict).where(Conflict.link_id == link_id))
