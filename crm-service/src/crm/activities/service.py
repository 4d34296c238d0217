"""Append to a prospect's timeline (never update or delete)."""
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from crm.activities.models import Activity


async def record(session: AsyncSession, prospect_id: uuid.UUID, kind: str, summary: str, *,
                 data: dict[str, Any] | None = None, visibility: str = "public", actor: str | None = None,
                 at: datetime | None = None) -> Activity:
    """Append one activity in the caller's transaction."""
    activity = Activity(prospect_id=prospect_id, kind=kind, summary=summary, data=data or {}, visibility=visibility,
                        actor=actor, occurred_at=at or datetime.now(UTC))
    session.add(activity)
    await session.flush()
    return activity
