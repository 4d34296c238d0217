"""Message queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from crm.sending.models import Message, MessageState

SENDING = (MessageState.CLAIMED, MessageState.SENT, MessageState.BOUNCED)  # what counts against a mailbox's limits


async def get(session: AsyncSession, message_id: uuid.UUID, *, for_update: bool = False) -> Message | None:
    stmt = select(Message).where(Message.id == message_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def by_header(session: AsyncSession, candidates: list[str]) -> Message | None:
    """The newest message whose Message-ID is one of `candidates`."""
    return (await session.execute(select(Message).where(Message.message_id_header.in_(candidates))
                                  .order_by(Message.sent_at.desc().nulls_last()).limit(1))).scalar_one_or_none()


async def of_step(session: AsyncSession, enrollment_id: uuid.UUID, step_index: int) -> Message | None:
    return (await session.execute(select(Message).where(Message.enrollment_id == enrollment_id,
                                                        Message.step_index == step_index))).scalar_one_or_none()


async def next_to_deliver(session: AsyncSession, now: datetime, skip: set[uuid.UUID]) -> Message | None:
    """The oldest claimed message not waiting out a backoff, locked (the row lock is the lease; others skip it)."""
    stmt = select(Message).where(Message.state == MessageState.CLAIMED,
                                 or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now))
    if skip:
        stmt = stmt.where(Message.id.not_in(skip))
    return (await session.execute(stmt.order_by(Message.claimed_at).limit(1).with_for_update(skip_locked=True))
            ).scalar_one_or_none()


async def emails_claimed_since(session: AsyncSession, sender: str, since: datetime) -> int:
    return await session.scalar(select(func.count()).select_from(Message).where(
        Message.sender == sender, Message.channel == "email", Message.state.in_(SENDING),
        Message.claimed_at >= since)) or 0


async def last_email_claimed(session: AsyncSession, sender: str) -> datetime | None:
    return await session.scalar(select(func.max(Message.claimed_at)).where(
        Message.sender == sender, Message.channel == "email", Message.state.in_(SENDING)))


def listing(*, enrollment_id: uuid.UUID | None, prospect_id: uuid.UUID | None, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Message)
    if enrollment_id:
        stmt = stmt.where(Message.enrollment_id == enrollment_id)
    if prospect_id:
        stmt = stmt.where(Message.prospect_id == prospect_id)
    return stmt.where(Message.updated_at > updated_after) if updated_after else stmt


async def anonymise(session: AsyncSession, prospect_id: uuid.UUID) -> None:
    """Erasure: what was sent to the person, and where, is forgotten."""
    await session.execute(update(Message).where(Message.prospect_id == prospect_id)
                          .values(recipient=None, subject=None, body=None, body_html=None, links=[]))
