"""Alert queries (rediscovery's are the search feature's: `crm.search.repository`)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.alerts.models import Alert


async def get(session: AsyncSession, alert_id: uuid.UUID, *, for_update: bool = False) -> Alert | None:
    stmt = select(Alert).where(Alert.id == alert_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


def listing(*, recipient: str | None, status: str | None, kind: str | None, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Alert)
    for col, val in ((Alert.recipient, recipient), (Alert.status, status), (Alert.kind, kind)):
        if val is not None:
            stmt = stmt.where(col == val)
    return stmt.where(Alert.updated_at > updated_after) if updated_after else stmt


async def mentioning(session: AsyncSession, prospect_id: uuid.UUID, *, for_update: bool = False) -> list[Alert]:
    """Alerts whose data names the prospect."""
    stmt = select(Alert).where(cast(Alert.data, Text).like(f"%{prospect_id}%"))
    return list((await session.execute(stmt.with_for_update() if for_update else stmt)).scalars())
