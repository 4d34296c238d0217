"""Prospect queries beyond the shared profile repository (`prospects.repo`)."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.prospects.models import Prospect


async def by_email(session: AsyncSession, email: str) -> Prospect | None:
    """The live (not merged) prospect with this email, oldest first."""
    return (await session.execute(select(Prospect).where(Prospect.emails.contains([email.lower()]),
                                                         Prospect.merged_into_id.is_(None))
                                  .order_by(Prospect.created_at).limit(1))).scalar_one_or_none()


async def merged_into(session: AsyncSession, survivor_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of every duplicate folded into the prospect."""
    return list((await session.execute(select(Prospect.id).where(Prospect.merged_into_id == survivor_id))).scalars())
