"""Use cases behind the public pages; every consent change goes through the consent service (so
`crm.consent.changed.v1` is emitted and the timeline records it)."""
from __future__ import annotations

import calendar
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext

from crm.activities.service import record as record_activity
from crm.consent import service as consent
from crm.consent.models import Channel, Consent, ConsentStatus, SuppressionReason
from crm.enrollments.service import exit_all
from crm.prospects.models import Prospect
from crm.prospects.service import prospects
from crm.public.pages import CONSENT_TEXT_VERSION

SOURCE = "talent_community"


def add_months(at: datetime, months: int) -> datetime:
    """`at` plus calendar months (the day clamped to the month's length)."""
    m = at.month - 1 + months
    year, month = at.year + m // 12, m % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


async def by_email(session: AsyncSession, email: str) -> Prospect | None:
    """The live (not merged) prospect with this email, oldest first."""
    return (await session.execute(select(Prospect).where(Prospect.emails.contains([email.lower()]),
                                                         Prospect.merged_into_id.is_(None))
                                  .order_by(Prospect.created_at).limit(1))).scalar_one_or_none()


async def live_prospect(session: AsyncSession, prospect_id: uuid.UUID) -> Prospect | None:
    """The prospect a token names (following merges), or None."""
    for _ in range(5):
        p = await session.get(Prospect, prospect_id)
        if p is None or p.merged_into_id is None:
            return p
        prospect_id = p.merged_into_id
    return None


def _grant(now: datetime, months: int, source: str) -> dict[str, Any]:
    return {"status": ConsentStatus.GRANTED, "lawful_basis": "consent", "source": source,
            "text_version": CONSENT_TEXT_VERSION, "expires_at": add_months(now, months)}


async def sign_up(session: AsyncSession, values: dict[str, Any], ctx: RequestContext, now: datetime,
                  months: int) -> tuple[Prospect, bool]:
    """Create the prospect (source `talent_community`) with email consent granted, or, when the email is known,
    record the consent on that prospect (its profile is not changed by an anonymous form). True when created."""
    email = values["emails"][0]
    # two submissions of one email at once must not create two prospects: serialize them per email
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"crm-public-signup:{email}"})
    existing = await by_email(session, email)
    created = existing is None
    prospect = existing or await prospects.create(session, {**values, "source": SOURCE}, ctx)
    await consent.put(session, prospect.id, Channel.EMAIL, _grant(now, months, SOURCE), None, ctx, now)
    await record_activity(session, prospect.id, "talent_community_signup",
                          "Joined the talent community" if created else "Signed up again on the talent community form",
                          data={"text_version": CONSENT_TEXT_VERSION, "new_prospect": created}, actor=ctx.actor, at=now)
    return prospect, created


async def channel_status(session: AsyncSession, prospect_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    view = await consent.read(session, prospect_id)
    return {c["channel"]: c for c in view["channels"]}


async def unsubscribe(session: AsyncSession, prospect_id: uuid.UUID, channels: list[str], ctx: RequestContext,
                      now: datetime) -> dict[str, Any]:
    """The `unsubscribed` suppression on each channel; leaving email exits every running enrollment, as the
    one-click link does. Repeating it changes nothing."""
    added = [ch for ch in channels if await consent.suppress(session, prospect_id, ch, SuppressionReason.UNSUBSCRIBED, ctx)]
    exited = await exit_all(session, prospect_id, "unsubscribed", ctx) if Channel.EMAIL in channels else []
    if added:
        await record_activity(session, prospect_id, "unsubscribed", f"Unsubscribed from {', '.join(added)} (public page)",
                              data={"channels": added}, actor=ctx.actor, at=now)
    return {"added": added, "enrollments_exited": len(exited)}


async def renew(session: AsyncSession, prospect_id: uuid.UUID, ctx: RequestContext, now: datetime,
                months: int) -> dict[str, Any]:
    """Email consent granted again with the current text; `expires_at` becomes now + `months` (never earlier than
    it was, so repeating the renewal changes nothing)."""
    current = await session.get(Consent, (prospect_id, str(Channel.EMAIL)))
    values = _grant(now, months, (current.source if current and current.source else "consent_renewal"))
    if current is not None and current.expires_at is not None and current.expires_at > values["expires_at"]:
        values["expires_at"] = current.expires_at
    return await consent.put(session, prospect_id, Channel.EMAIL, values, None, ctx, now)


async def withdraw(session: AsyncSession, prospect_id: uuid.UUID, ctx: RequestContext, now: datetime) -> dict[str, Any]:
    """Email consent withdrawn (the other fields kept); the consent service exits the running enrollments."""
    current = await session.get(Consent, (prospect_id, str(Channel.EMAIL)))
    values = {k: getattr(current, k) if current else None for k in ("lawful_basis", "source", "text_version", "expires_at")}
    return await consent.put(session, prospect_id, Channel.EMAIL, {**values, "status": ConsentStatus.WITHDRAWN},
                             None, ctx, now)
