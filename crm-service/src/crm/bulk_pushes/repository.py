"""Bulk push queries."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.bulk_pushes.models import BulkPush, BulkPushItem
from crm.pushes.models import Push


async def get(session: AsyncSession, bulk_id: uuid.UUID, *, for_update: bool = False) -> BulkPush | None:
    stmt = select(BulkPush).where(BulkPush.id == bulk_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def items(session: AsyncSession, bulk_id: uuid.UUID) -> list[Any]:
    """Every item with the live status of its push."""
    stmt = (select(BulkPushItem, Push.status.label("push_status")).outerjoin(Push, Push.id == BulkPushItem.push_id)
            .where(BulkPushItem.bulk_push_id == bulk_id).order_by(BulkPushItem.position))
    return list((await session.execute(stmt)).all())


async def next_pending(session: AsyncSession) -> BulkPushItem | None:
    """The oldest pending item nobody else is handling, locked."""
    stmt = (select(BulkPushItem).join(BulkPush, BulkPush.id == BulkPushItem.bulk_push_id)
            .where(BulkPushItem.outcome == "pending").order_by(BulkPush.created_at, BulkPushItem.position)
            .limit(1).with_for_update(of=BulkPushItem, skip_locked=True))
    return (await session.execute(stmt)).scalar_one_or_none()
