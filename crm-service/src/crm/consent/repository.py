"""Consent, suppression and double opt-in queries."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from crm.consent.models import (
    Consent,
    ConsentHistory,
    ConsentPurpose,
    ConsentRequest,
    ConsentStatus,
    Suppression,
)


async def consent_of(session: AsyncSession, prospect_id: uuid.UUID, channel: str, *, for_update: bool = False,
                     purpose: str = ConsentPurpose.MARKETING) -> Consent | None:
    stmt = select(Consent).where(Consent.prospect_id == prospect_id, Consent.purpose == purpose, Consent.channel == channel)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def consents_of(session: AsyncSession, prospect_id: uuid.UUID, *, for_update: bool = False) -> list[Consent]:
    """Every consent of the prospect (any purpose, any channel)."""
    stmt = select(Consent).where(Consent.prospect_id == prospect_id).order_by(Consent.purpose, Consent.channel)
    return list((await session.execute(stmt.with_for_update() if for_update else stmt)).scalars())


async def history(session: AsyncSession, prospect_id: uuid.UUID) -> list[ConsentHistory]:
    """Every statement of the prospect's consents, oldest first."""
    return list((await session.execute(select(ConsentHistory).where(ConsentHistory.prospect_id == prospect_id)
                                       .order_by(ConsentHistory.changed_at, ConsentHistory.version))).scalars())


def _renewable() -> list[Any]:
    return [Consent.status == ConsentStatus.GRANTED, Consent.lawful_basis == "consent", Consent.expires_at.is_not(None)]


async def due_for_renewal_request(session: AsyncSession, now: datetime, notice: timedelta, limit: int = 100) -> list[Consent]:
    """Renewable consents ending within `notice` that were not asked about yet, locked (others' skipped)."""
    return list((await session.execute(select(Consent).where(
        *_renewable(), Consent.expires_at > now, Consent.expires_at <= now + notice, Consent.renewal_requested_at.is_(None))
        .order_by(Consent.expires_at).limit(limit).with_for_update(skip_locked=True))).scalars())


async def due_for_reminder(session: AsyncSession, now: datetime, after: timedelta, limit: int = 100) -> list[Consent]:
    """Renewable consents asked about `after` ago, still not renewed, not reminded yet, locked."""
    return list((await session.execute(select(Consent).where(
        *_renewable(), Consent.expires_at > now, Consent.renewal_requested_at <= now - after,
        Consent.renewal_reminded_at.is_(None)).order_by(Consent.expires_at).limit(limit)
        .with_for_update(skip_locked=True))).scalars())


async def past_expiry(session: AsyncSession, now: datetime, limit: int = 100) -> list[Consent]:
    """Granted consents whose expiry has passed, locked."""
    return list((await session.execute(select(Consent).where(
        Consent.status == ConsentStatus.GRANTED, Consent.expires_at.is_not(None), Consent.expires_at <= now)
        .order_by(Consent.expires_at).limit(limit).with_for_update(skip_locked=True))).scalars())


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


async def unconfirmed_since(session: AsyncSession, prospect_id: uuid.UUID, since: datetime,
                            purpose: str = ConsentPurpose.MARKETING) -> bool:
    """Whether a request of the prospect for `purpose` asked for confirmation after `since` and is not confirmed
    yet."""
    return (await session.execute(select(ConsentRequest.id).where(
        ConsentRequest.prospect_id == prospect_id, ConsentRequest.purpose == purpose,
        ConsentRequest.confirmed_at.is_(None), ConsentRequest.requested_at > since))).first() is not None


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
