"""Engagement counters of messages."""
from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from crm.sending.models import Message
from crm.tracking.models import MessageEngagement


async def counters(session: AsyncSession, msg: Message) -> MessageEngagement:
    """The message's counters (new and zero when it was never opened nor clicked)."""
    row = await session.get(MessageEngagement, msg.id)
    if row is None:
        row = MessageEngagement(message_id=msg.id, prospect_id=msg.prospect_id, opens=0, clicks=0, clicked_urls={})
        session.add(row)
    return row
