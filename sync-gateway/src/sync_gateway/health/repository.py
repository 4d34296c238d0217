"""Counts the health report reads."""
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.operations.models import DeadLetter
from sync_gateway.resync.models import ACTIVE, ResyncJob


async def dead_letters_since(session: AsyncSession, since: datetime) -> int:
    """Events dead-lettered since `since` (whatever became of them since)."""
    return (await session.execute(select(func.count()).select_from(DeadLetter)
                                  .where(DeadLetter.created_at >= since))).scalar_one()


async def open_dead_letters(session: AsyncSession) -> int:
    """Dead letters nobody replayed or discarded yet."""
    return (await session.execute(select(func.count()).select_from(DeadLetter)
                                  .where(DeadLetter.status == "open"))).scalar_one()


async def active_resync_jobs(session: AsyncSession) -> dict[str, int]:
    """Queued and running resync jobs."""
    rows = (await session.execute(select(ResyncJob.status, func.count()).where(ResyncJob.status.in_(ACTIVE))
                                  .group_by(ResyncJob.status))).all()
    return {status: 0 for status in ACTIVE} | {status: n for status, n in rows}
