"""Use cases behind the public pages; every consent change goes through the consent service (so
`crm.consent.changed.v1` is emitted and the timeline records it)."""
from __future__ import annotations

import calendar
import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext

from crm.activities.service import record as record_activity
from crm.consent import service as consent
from crm.consent.models import (
    Channel,
    Consent,
    ConsentRequest,
    ConsentStatus,
    SuppressionReason,
)
from crm.enrollments.service import exit_all
from crm.prospects.models import Prospect
from crm.prospects.service import prospects
from crm.public.pages import CONSENT_TEXT_VERSION

SOURCE = "talent_community"
CONFIRMATION_RESEND_AFTER = timedelta(minutes=15)


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


def _grant(now: datetime, months: int, source: str, text_version: str = CONSENT_TEXT_VERSION) -> dict[str, Any]:
    return {"status": ConsentStatus.GRANTED, "lawful_basis": "consent", "source": source,
            "text_version": text_version, "expires_at": add_months(now, months)}


async def sign_up(session: AsyncSession, values: dict[str, Any], ctx: RequestContext, now: datetime) -> tuple[Prospect, bool]:
    """Create the prospect (source `talent_community`), or find the one with this email (an anonymous form does not
    change its profile); email consent becomes `requested` and a confirmation mail is queued: only its link grants
    consent (double opt-in). A granted (unexpired) or withdrawn consent is left as it is. True when created."""
    email = values["emails"][0]
    # two submissions of one email at once must not create two prospects: serialize them per email
    await session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"crm-public-signup:{email}"})
    existing = await by_email(session, email)
    created = existing is None
    prospect = existing or await prospects.create(session, {**values, "source": SOURCE}, ctx)
    current = await session.get(Consent, (prospect.id, str(Channel.EMAIL)))
    keep = current is not None and (current.status == ConsentStatus.WITHDRAWN
                                    or (current.status == ConsentStatus.GRANTED and current.allows(now)))
    if not keep:
        await consent.put(session, prospect.id, Channel.EMAIL, {
            "status": ConsentStatus.REQUESTED, "lawful_basis": "consent", "source": SOURCE,
            "text_version": CONSENT_TEXT_VERSION, "expires_at": None}, None, ctx, now)
    queued = await _queue_confirmation(session, prospect.id, email, ctx, now)
    await record_activity(session, prospect.id, "talent_community_signup",
                          "Joined the talent community" if created else "Signed up again on the talent community form",
                          data={"text_version": CONSENT_TEXT_VERSION, "new_prospect": created}, actor=ctx.actor, at=now)
    if queued:
        await record_activity(session, prospect.id, "consent_requested", "Email consent requested; confirmation mail queued",
                              data={"consent_request_id": str(queued.id), "text_version": CONSENT_TEXT_VERSION},
                              actor=ctx.actor, at=now)
    return prospect, created


async def _queue_confirmation(session: AsyncSession, prospect_id: uuid.UUID, email: str, ctx: RequestContext,
                              now: datetime) -> ConsentRequest | None:
    """A confirmation mail for the sign-up, unless one went out minutes ago (a form cannot bomb a mailbox) or the
    address bounces."""
    if SuppressionReason.BOUNCED in await consent.suppressions(session, prospect_id, str(Channel.EMAIL)):
        return None
    recent = (await session.execute(select(ConsentRequest.id).where(
        ConsentRequest.prospect_id == prospect_id, ConsentRequest.confirmed_at.is_(None),
        ConsentRequest.requested_at > now - CONFIRMATION_RESEND_AFTER))).first()
    if recent is not None:
        return None
    request = ConsentRequest(id=uuid.uuid4(), prospect_id=prospect_id, channel=str(Channel.EMAIL), address=email.lower(),
                             source=SOURCE, text_version=CONSENT_TEXT_VERSION, requested_at=now, mail_state="pending",
                             attempts=0, next_attempt_at=now, created_by=ctx.actor)
    session.add(request)
    await session.flush()
    return request


async def confirmation(session: AsyncSession, request_id: Any) -> ConsentRequest | None:
    """The sign-up a confirmation token names, while its prospect is live."""
    try:
        found = await session.get(ConsentRequest, uuid.UUID(str(request_id)))
    except ValueError:
        return None
    if found is None or await prospects.live(session, found.prospect_id) is None:
        return None
    return found


async def confirm(session: AsyncSession, request: ConsentRequest, ctx: RequestContext, now: datetime,
                  months: int) -> dict[str, Any]:
    """The person confirmed: email consent granted with the text they agreed to (lifting their own earlier
    `unsubscribed`, never a bounce or a manual suppression). Confirming twice changes nothing."""
    locked = (await session.execute(select(ConsentRequest).where(ConsentRequest.id == request.id).with_for_update()
                                    .execution_options(populate_existing=True))).scalar_one()
    live = await prospects.live(session, locked.prospect_id)
    assert live is not None  # checked by `confirmation`
    current = await session.get(Consent, (live.id, str(Channel.EMAIL)))
    if locked.confirmed_at is not None and current is not None and current.status == ConsentStatus.GRANTED:
        return {"expires_at": current.expires_at or now}
    values = _grant(now, months, locked.source, locked.text_version)
    supp = await consent.suppressions(session, live.id, str(Channel.EMAIL))
    if SuppressionReason.UNSUBSCRIBED in supp:
        values["suppressions"] = [r for r in supp if r != SuppressionReason.UNSUBSCRIBED]
    out = await consent.put(session, live.id, Channel.EMAIL, values, None, ctx, now)
    locked.confirmed_at = now
    await record_activity(session, live.id, "consent_confirmed", "Email consent confirmed (double opt-in link)",
                          data={"consent_request_id": str(locked.id), "text_version": locked.text_version},
                          actor=ctx.actor, at=now)
    return out


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
