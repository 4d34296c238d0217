"""Use cases behind the public pages; every consent change goes through the consent service (so
`crm.consent.changed.v1` is recorded and the timeline shows it)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import text
from talentkit.auth import RequestContext
from talentkit.errors import NotFound
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.consent import repository as consent_rows
from crm.consent import service as consent
from crm.consent.models import (
    Channel,
    ConsentPurpose,
    ConsentRequest,
    ConsentStatus,
    SuppressionReason,
    add_months,
)
from crm.prospects import repository as prospect_rows
from crm.prospects.models import Prospect
from crm.prospects.service import prospects
from crm.public.pages import CONSENT_TEXT_VERSION
from crm.sending.config import SendingSettings
from crm.signing import LIFETIMES, Purpose

SOURCE = "talent_community"
CONFIRMATION_RESEND_AFTER = consent.CONFIRMATION_RESEND_AFTER


def _grant(now: datetime, months: int, source: str, text_version: str = CONSENT_TEXT_VERSION) -> dict[str, Any]:
    return {"status": ConsentStatus.GRANTED, "lawful_basis": "consent", "source": source,
            "text_version": text_version, "expires_at": add_months(now, months)}


async def sign_up(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext, now: datetime) -> tuple[Prospect, bool]:
    """Create the prospect (source `talent_community`), or find the one with this email (an anonymous form does not
    change its profile); email consent becomes `requested` and a confirmation mail is queued: only its link grants
    consent (double opt-in). A granted (unexpired) or withdrawn consent is left as it is. True when created."""
    email = values["emails"][0]
    # two submissions of one email at once must not create two prospects: serialize them per email
    await uow.session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"), {"k": f"crm-public-signup:{email}"})
    existing = await prospect_rows.by_email(uow.session, email)
    created = existing is None
    prospect = existing or await prospects.create(uow=uow, values={**values, "source": SOURCE}, ctx=ctx)
    current = await consent_rows.consent_of(uow.session, prospect.id, str(Channel.EMAIL))
    if consent.kept_as_is(current, now) is None:
        await consent.put(uow=uow, prospect_id=prospect.id, channel=Channel.EMAIL, values={
            "status": ConsentStatus.REQUESTED, "lawful_basis": "consent", "source": SOURCE,
            "text_version": CONSENT_TEXT_VERSION, "expires_at": None}, if_match=None, ctx=ctx, now=now)
    queued = await consent.queue_confirmation(uow=uow, prospect_id=prospect.id, address=email,
                                              purpose=ConsentPurpose.MARKETING, source=SOURCE,
                                              text_version=CONSENT_TEXT_VERSION, ctx=ctx, now=now)
    await activities.record(uow=uow, prospect_id=prospect.id, kind="talent_community_signup",
                            summary="Joined the talent community" if created else "Signed up again on the talent community form",
                            data={"text_version": CONSENT_TEXT_VERSION, "new_prospect": created}, actor=ctx.actor, at=now)
    if queued:
        await activities.record(uow=uow, prospect_id=prospect.id, kind="consent_requested",
                                summary="Email consent requested; confirmation mail queued",
                                data={"consent_request_id": str(queued.id), "text_version": CONSENT_TEXT_VERSION},
                                actor=ctx.actor, at=now)
    return prospect, created


async def confirmation(*, uow: UnitOfWork, request_id: Any) -> ConsentRequest | None:
    """The sign-up a confirmation token names, while its prospect is live."""
    try:
        found = await consent_rows.request(uow.session, uuid.UUID(str(request_id)))
    except ValueError:
        return None
    if found is None or await prospects.live(uow.session, found.prospect_id) is None:
        return None
    return found


async def confirm(*, uow: UnitOfWork, request: ConsentRequest, ctx: RequestContext, now: datetime,
                  months: int) -> dict[str, Any]:
    """The person confirmed: email consent of the request's purpose granted with the text they agreed to. Confirming
    marketing lifts their own earlier `unsubscribed` (never a bounce or a manual suppression); confirming the talent
    pool leaves the channel's suppressions alone (it is not a wish for marketing mail). Confirming twice changes
    nothing."""
    locked = await consent_rows.request(uow.session, request.id, for_update=True)
    live = await prospects.live(uow.session, request.prospect_id)
    assert locked is not None and live is not None  # checked by `confirmation`
    purpose = locked.purpose or ConsentPurpose.MARKETING
    current = await consent_rows.consent_of(uow.session, live.id, str(Channel.EMAIL), purpose=purpose)
    if locked.confirmed_at is not None and current is not None and current.status == ConsentStatus.GRANTED:
        return {"expires_at": current.expires_at or now}
    values = _grant(now, months, locked.source, locked.text_version)
    if purpose == ConsentPurpose.MARKETING:
        supp = await consent_rows.suppressions(uow.session, live.id, str(Channel.EMAIL))
        if SuppressionReason.UNSUBSCRIBED in supp:
            values["suppressions"] = [r for r in supp if r != SuppressionReason.UNSUBSCRIBED]
    out = await consent.put(uow=uow, prospect_id=live.id, channel=Channel.EMAIL, values=values, if_match=None, ctx=ctx,
                            now=now, purpose=purpose)
    locked.confirmed_at = now
    await activities.record(uow=uow, prospect_id=live.id, kind="consent_confirmed",
                            summary=f"Email consent for {purpose} confirmed (double opt-in link)",
                            data={"consent_request_id": str(locked.id), "purpose": str(purpose),
                                  "text_version": locked.text_version}, actor=ctx.actor, at=now)
    return out


async def live_prospect(*, uow: UnitOfWork, prospect_id: Any) -> Prospect | None:
    """The live prospect a public token names (following merges), or None."""
    try:
        return await prospects.live(uow.session, uuid.UUID(str(prospect_id)))
    except ValueError:
        return None


async def links(*, uow: UnitOfWork, prospect_id: uuid.UUID, settings: SendingSettings, now: datetime) -> dict[str, Any]:
    """The prospect's signed unsubscribe and consent pages (90 days); 404 for an unknown or erased prospect."""
    prospect = await prospects.live(uow.session, prospect_id)
    if prospect is None:
        raise NotFound(f"No prospect with id {prospect_id}.")
    signer, base, data = settings.signer(), settings.public_base_url.rstrip("/"), {"p": str(prospect.id)}
    return {"prospect_id": prospect.id,
            "unsubscribe_url": f"{base}/public/unsubscribe/{signer.sign(Purpose.PUBLIC_UNSUBSCRIBE, data, now=now)}",
            "consent_url": f"{base}/public/consent/{signer.sign(Purpose.PUBLIC_CONSENT, data, now=now)}",
            "expires_at": now + LIFETIMES[Purpose.PUBLIC_CONSENT]}


async def channel_status(*, uow: UnitOfWork, prospect_id: uuid.UUID) -> dict[str, dict[str, Any]]:
    """Consent and suppressions, by channel."""
    view = await consent.read(uow=uow, prospect_id=prospect_id)
    return {c["channel"]: c for c in view["channels"]}


async def unsubscribe(*, uow: UnitOfWork, prospect_id: uuid.UUID, channels: list[str], ctx: RequestContext,
                      now: datetime) -> list[str]:
    """The `unsubscribed` suppression on each channel (leaving email exits every running enrollment, as the
    one-click link does); returns the channels newly left. Repeating it changes nothing."""
    added = [ch for ch in channels if await consent.suppress(uow=uow, prospect_id=prospect_id, channel=ch,
                                                             reason=SuppressionReason.UNSUBSCRIBED, ctx=ctx, now=now)]
    if added:
        await activities.record(uow=uow, prospect_id=prospect_id, kind="unsubscribed",
                                summary=f"Unsubscribed from {', '.join(added)} (public page)", data={"channels": added},
                                actor=ctx.actor, at=now)
    return added


async def renew(*, uow: UnitOfWork, prospect_id: uuid.UUID, ctx: RequestContext, now: datetime, months: int) -> dict[str, Any]:
    """Every email consent the person gave by consent (whatever its purpose) granted again with the current text;
    `expires_at` becomes now + `months` (never earlier than it was, so repeating the renewal changes nothing). With
    none recorded, marketing email consent is granted."""
    given = [c for c in await consent_rows.consents_of(uow.session, prospect_id)
             if c.channel == Channel.EMAIL and c.lawful_basis in (None, "consent")
             and c.status in (ConsentStatus.GRANTED, ConsentStatus.EXPIRED, ConsentStatus.REQUESTED)]
    out: dict[str, Any] = {}
    for purpose in [c.purpose for c in given] or [str(ConsentPurpose.MARKETING)]:
        current = next((c for c in given if c.purpose == purpose), None)
        values = _grant(now, months, (current.source if current and current.source else "consent_renewal"))
        if current is not None and current.expires_at is not None and current.expires_at > values["expires_at"]:
            values["expires_at"] = current.expires_at
        if current is not None and current.status == ConsentStatus.GRANTED and current.collected_at:
            values["collected_at"] = now
        view = await consent.put(uow=uow, prospect_id=prospect_id, channel=Channel.EMAIL, values=values, if_match=None,
                                 ctx=ctx, now=now, purpose=purpose)
        out = out if out and purpose != ConsentPurpose.MARKETING else view
    return out


async def withdraw(*, uow: UnitOfWork, prospect_id: uuid.UUID, ctx: RequestContext, now: datetime) -> dict[str, Any]:
    """Every email consent withdrawn (`declined` where the CRM had asked for its renewal), the other fields kept:
    all marketing stops at once and the running enrollments exit."""
    given = [c for c in await consent_rows.consents_of(uow.session, prospect_id) if c.channel == Channel.EMAIL]
    out: dict[str, Any] = {}
    for current in given if given else [None]:
        values = current.statement() if current else {k: None for k in ("lawful_basis", "source", "text_version", "expires_at")}
        status = ConsentStatus.DECLINED if current is not None and current.renewal_requested_at else ConsentStatus.WITHDRAWN
        out = await consent.put(uow=uow, prospect_id=prospect_id, channel=Channel.EMAIL, values={**values, "status": status},
                                if_match=None, ctx=ctx, now=now,
                                purpose=current.purpose if current else ConsentPurpose.MARKETING)
    return out
