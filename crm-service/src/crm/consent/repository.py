"""Consent, suppression and double opt-in queries."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.consent.models import Consent, ConsentRequest, Suppression


async def consent_of(session: AsyncSession, prospect_id: uuid.UUID, channel: str, *, for_update: bool = False) -> Consent | None:
    stmt = select(Consent).where(Consent.prospect_id == prospect_id, Consent.channel == channel)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def suppressions(session: AsyncSession, prospect_id: uuid.UUID, channel: str) -> list[str]:
    """The channel's suppression reasons, sorted."""
    return list((await session.execute(select(Suppression.reason).where(
        Suppression.prospect_id == prospect_id, Suppression.channel == channel).order_by(Suppression.reason))).scalars())


async def replace_suppressions(session: AsyncSession, prospect_id: uuid.UUID, channel: str, reasons: list[str],
                               actor: str) -> None:
    await session.execute(delete(Suppression).where(Suppression.prospect_id == prospect_id, Suppression.channel == channel))
    session.add_all([Suppression(prospect_id=prospect_id, channel=channel, reason=r, created_by=actor) for r in reasons])
    await session.flush()


async def add_suppression(session: AsyncSession, prospect_id: uuid.UUID, channel: str, reason: str, actor: str) -> bool:
    """True when the suppression is new."""
    added = (await session.execute(insert(Suppression).values(
        prospect_id=prospect_id, channel=channel, reason=reason, created_by=actor,
    ).on_conflict_do_nothing().returning(Suppression.reason))).first()
    return added is not None


async def request(session: AsyncSession, request_id: uuid.UUID, *, for_update: bool = False) -> ConsentRequest | None:
    stmt = select(ConsentRequest).where(ConsentRequest.id == request_id)
    if for_update:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return (await session.execute(stmt)).scalar_one_or_none()


async def unconfirmed_since(session: AsyncSession, prospect_id: uuid.UUID, since: datetime) -> bool:
    """Whether a sign-up of the prospect asked for confirmation after `since` and is not confirmed yet."""
    return (await session.execute(select(ConsentRequest.id).where(
        ConsentRequest.prospect_id == prospect_id, ConsentRequest.confirmed_at.is_(None),
        ConsentRequest.requested_at > since))).first() is not None


async def next_confirmation_due(session: AsyncSession, now: datetime, skip: set[uuid.UUID]) -> ConsentRequest | None:
    """A pending confirmation mail due now, locked, that no other worker holds."""
    stmt = select(ConsentRequest).where(ConsentRequest.mail_state == "pending", ConsentRequest.next_attempt_at <= now)
    if skip:
        stmt = stmt.where(ConsentRequest.id.not_in(skip))
    return (await session.execute(stmt.order_by(ConsentRequest.next_attempt_at).limit(1)
                                  .with_for_update(skip_locked=True))).scalar_one_or_none()


async def blank_requests(session: AsyncSession, prospect_id: uuid.UUID) -> None:
    """Erasure: the addresses go; a confirmation mail not sent yet never will be."""
    await session.execute(update(ConsentRequest).where(ConsentRequest.prospect_id == prospect_id).values(address=None))
    await session.execute(update(ConsentRequest).where(ConsentRequest.prospect_id == prospect_id,
                                                       ConsentRequest.mail_state == "pending").values(mail_state="cancelled"))
