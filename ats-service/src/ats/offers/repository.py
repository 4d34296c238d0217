"""Offer queries."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ats.applications.models import Application
from ats.offers.models import OPEN, Offer, OfferStatus


async def get(session: AsyncSession, offer_id: uuid.UUID, *, for_update: bool = False) -> Offer | None:
    stmt = select(Offer).where(Offer.id == offer_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def next_offer_version(session: AsyncSession, application_id: uuid.UUID) -> int:
    """1 for the first offer of an application, then 2, 3, ... (call with the application locked)."""
    return (await session.scalar(select(func.max(Offer.offer_version)).where(Offer.application_id == application_id)) or 0) + 1


async def open_offers(session: AsyncSession, application_id: uuid.UUID) -> list[Offer]:
    """The application's offers still in play (draft to sent), locked."""
    return list((await session.execute(select(Offer).where(
        Offer.application_id == application_id, Offer.status.in_(OPEN)).order_by(Offer.offer_version).with_for_update())).scalars())


def listing(*, application_id: uuid.UUID | None, status: OfferStatus | None, updated_after: datetime | None) -> Select[Any]:
    stmt = select(Offer)
    if application_id:
        stmt = stmt.where(Offer.application_id == application_id)
    if status:
        stmt = stmt.where(Offer.status == status)
    if updated_after:
        stmt = stmt.where(Offer.updated_at > updated_after)
    return stmt


async def erase_free_text(session: AsyncSession, candidate_id: uuid.UUID) -> None:
    """Blank the offer's free text (terms, the reason they gave when declining)."""
    await session.execute(update(Offer).where(Offer.application_id.in_(
        select(Application.id).where(Application.candidate_id == candidate_id))).values(terms=None, decline_reason=None))
async def accepted(session: AsyncSession, application_id: uuid.UUID) -> Offer | None:
    """The application's latest accepted offer."""
    return (await session.execute(select(Offer).where(Offer.application_id == application_id,
                                                      Offer.status == OfferStatus.ACCEPTED)
                                  .order_by(Offer.offer_version.desc()).limit(1))).scalar_one_or_none()
