"""Art. 14 queries."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from crm.prospects.models import Prospect


def art14_listing(status: str | None, now: datetime) -> Select[Any]:
    """Prospects owed (or sent) an Art. 14 notice, by status."""
    stmt = select(Prospect).where(Prospect.art14_due_at.is_not(None), Prospect.status != "erased")
    if status == "sent":
        stmt = stmt.where(Prospect.art14_sent_at.is_not(None))
    elif status == "due":
        stmt = stmt.where(Prospect.art14_sent_at.is_(None), Prospect.art14_due_at >= now)
    elif status == "overdue":
        stmt = stmt.where(Prospect.art14_sent_at.is_(None), Prospect.art14_due_at < now)
    return stmt


async def notices_due(session: AsyncSession, by: datetime, limit: int = 100) -> list[Prospect]:
    """Live prospects whose notice is due by `by` and not sent, locked FOR NO KEY UPDATE (others' skipped). Not FOR
    UPDATE: that also skips a prospect while any row pointing at it is being written (its embedding, an activity:
    their foreign-key checks hold KEY SHARE), and its notice would wait for the next pass."""
    return list((await session.execute(select(Prospect).where(
        Prospect.art14_due_at.is_not(None), Prospect.art14_due_at <= by, Prospect.art14_sent_at.is_(None),
        Prospect.status != "erased", Prospect.merged_into_id.is_(None))
        .order_by(Prospect.art14_due_at).limit(limit).with_for_update(key_share=True, skip_locked=True))).scalars())
