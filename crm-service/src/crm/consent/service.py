"""Consent use cases: read a prospect's consent, record a new statement, suppress a channel, and the sending rule.
When email may no longer be used, the consent records `crm.consent.email_stopped.internal` (running enrollments
exit: see `crm.enrollments.handlers`)."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Unprocessable, field_error
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.consent import repository
from crm.consent.models import (
    Channel,
    Consent,
    ConsentHistory,
    ConsentPurpose,
    ConsentRequest,
    ConsentStatus,
    SuppressionReason,
    add_months,
    sending_verdict,
)
from crm.prospects.service import prospects


async def suppressions(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: str) -> list[str]:
    """The channel's suppression reasons."""
    return await repository.suppressions(uow.session, prospect_id, channel)


async def verdict(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: str, now: datetime,
                  purpose: str = ConsentPurpose.MARKETING) -> str | None:
    """None when the CRM may message the prospect on `channel` for `purpose` now, else the reason it may not."""
    consent = await repository.consent_of(uow.session, prospect_id, channel, purpose=purpose)
    return sending_verdict(consent, await repository.suppressions(uow.session, prospect_id, channel), now)


VIEW = ("status", "lawful_basis", "source", "text_version", "collected_at", "expires_at", "version", "updated_at")


def _channel_view(channel: str, consent: Consent | None, supp: list[str],
                  purpose: str = ConsentPurpose.MARKETING) -> dict[str, Any]:
    base = {"purpose": purpose, "channel": channel, "suppressions": supp}
    if consent is None:
        return base | {"status": ConsentStatus.UNKNOWN, "version": 0}
    return base | {k: getattr(consent, k) for k in VIEW} | {"purpose": consent.purpose}


async def read(*, uow: UnitOfWork, prospect_id: uuid.UUID) -> dict[str, Any]:
    """Marketing consent and suppressions of every channel (`unknown` where nothing was recorded), and every
    purpose's consent recorded."""
    await prospects.get(uow.session, prospect_id)
    supp: dict[str, list[str]] = {ch: await repository.suppressions(uow.session, prospect_id, ch) for ch in Channel}
    channels = [_channel_view(ch, await repository.consent_of(uow.session, prospect_id, ch), supp[ch]) for ch in Channel]
    purposes = [_channel_view(c.channel, c, supp.get(c.channel, []), c.purpose)
                for c in await repository.consents_of(uow.session, prospect_id)]
    return {"prospect_id": str(prospect_id), "channels": channels, "purposes": purposes}


async def history(*, uow: UnitOfWork, prospect_id: uuid.UUID) -> list[ConsentHistory]:
    """Every statement of the prospect's consents, oldest first."""
    await prospects.get(uow.session, prospect_id)
    return await repository.history(uow.session, prospect_id)


async def _locked(uow: UnitOfWork, prospect_id: uuid.UUID, channel: str, actor: str,
                  purpose: str = ConsentPurpose.MARKETING) -> Consent:
    consent = await repository.consent_of(uow.session, prospect_id, channel, for_update=True, purpose=purpose)
    if consent is None:
        consent = Consent.nothing_recorded(prospect_id, channel, actor, purpose)
        uow.session.add(consent)
    return consent


async def put(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: Channel, values: dict[str, Any], if_match: str | None,
              ctx: RequestContext, now: datetime, purpose: str = ConsentPurpose.MARKETING,
              months: int | None = None) -> dict[str, Any]:
    """Record the consent for a purpose on a channel (and optionally replace the channel's suppressions); a grant
    without `collected_at` was collected now, one by consent without `expires_at` lasts `months`. Email that may no
    longer be used exits the prospect's running enrollments. Records `crm.consent.changed.v1` when anything
    changed, and its history."""
    await prospects.writable(uow.session, prospect_id)
    existing = await repository.consent_of(uow.session, prospect_id, str(channel), for_update=True, purpose=purpose)
    if if_match is not None:
        check_if_match(if_match, existing.version if existing else 0)
    consent = existing or await _locked(uow, prospect_id, str(channel), ctx.actor, purpose)
    values = dict(values)
    if values.get("status") == ConsentStatus.GRANTED:
        if values.get("collected_at") is None:
            values["collected_at"] = consent.collected_at if consent.status == ConsentStatus.GRANTED and consent.collected_at else now
        if values.get("expires_at") is None and months and values.get("lawful_basis") == "consent":
            values["expires_at"] = add_months(values["collected_at"], months)
    wanted = values.pop("suppressions", None)
    before = await repository.suppressions(uow.session, prospect_id, str(channel))
    after = sorted(set(wanted)) if wanted is not None else before
    if after != before:
        await repository.replace_suppressions(uow.session, prospect_id, str(channel), after, ctx.actor)
    changes = consent.restate(values, suppressions=(before, after), actor=ctx.actor, ctx=ctx)
    await uow.flush()
    if changes:
        uow.session.add(ConsentHistory.of(consent, after, now))
        await _timeline(uow, consent, changes, after, ctx)
    await _stop_email_when_blocked(uow, consent, now)
    return _channel_view(str(channel), consent, after, consent.purpose)


async def suppress(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: str, reason: str, ctx: RequestContext | None,
                   now: datetime) -> bool:
    """Add one suppression (unsubscribe link, bounce); True when it is new. Records `crm.consent.changed.v1`."""
    actor = ctx.actor if ctx else "crm"
    before = await repository.suppressions(uow.session, prospect_id, channel)
    if not await repository.add_suppression(uow.session, prospect_id, channel, reason, actor):
        return False
    consent = await _locked(uow, prospect_id, channel, actor)
    after = sorted({*before, reason})
    changes = consent.restate(consent.statement(), suppressions=(before, after), actor=actor, ctx=ctx)
    await uow.flush()
    uow.session.add(ConsentHistory.of(consent, after, now))
    await _timeline(uow, consent, changes, after, ctx)
    await _stop_email_when_blocked(uow, consent, now)
    return True


async def expire(*, uow: UnitOfWork, consent: Consent, now: datetime, actor: str) -> None:
    """A consent not renewed by its expiry becomes `expired` (`crm.consent.expired.v1`); email it allowed stops."""
    consent.expire(now, actor)
    await uow.flush()
    supp = await repository.suppressions(uow.session, consent.prospect_id, consent.channel)
    uow.session.add(ConsentHistory.of(consent, supp, now))
    await _timeline(uow, consent, {"status": {"before": ConsentStatus.GRANTED, "after": ConsentStatus.EXPIRED}}, supp, None)
    await _stop_email_when_blocked(uow, consent, now)


async def anything_allows(*, uow: UnitOfWork, prospect_id: uuid.UUID, now: datetime) -> bool:
    """Whether any consent of the prospect (any purpose, any channel) still lets the CRM keep them."""
    return any(c.allows(now) for c in await repository.consents_of(uow.session, prospect_id))


CONFIRMATION_RESEND_AFTER = timedelta(minutes=15)


async def queue_confirmation(*, uow: UnitOfWork, prospect_id: uuid.UUID, address: str, purpose: str, source: str,
                             text_version: str, ctx: RequestContext, now: datetime) -> ConsentRequest | None:
    """A double opt-in confirmation mail for `purpose` (sent by the scheduler), unless one for the same purpose went
    out minutes ago (a form cannot bomb a mailbox) or the address bounces."""
    if SuppressionReason.BOUNCED in await repository.suppressions(uow.session, prospect_id, str(Channel.EMAIL)):
        return None
    if await repository.unconfirmed_since(uow.session, prospect_id, now - CONFIRMATION_RESEND_AFTER, purpose):
        return None
    request = ConsentRequest(id=uuid.uuid4(), prospect_id=prospect_id, channel=str(Channel.EMAIL), purpose=str(purpose),
                             address=address.lower(), source=source, text_version=text_version, requested_at=now,
                             mail_state="pending", attempts=0, next_attempt_at=now, created_by=ctx.actor)
    uow.session.add(request)
    await uow.flush()
    return request


def kept_as_is(current: Consent | None, now: datetime) -> str | None:
    """Why an anonymous request leaves the consent alone: `withdrawn` (never overturned), `granted` (unexpired: no
    downgrade), else None."""
    if current is None:
        return None
    if current.status == ConsentStatus.WITHDRAWN:
        return "withdrawn"
    if current.status == ConsentStatus.GRANTED and current.allows(now):
        return "granted"
    return None


async def request_confirmation(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: str, purpose: str, source: str,
                               text_version: str, ctx: RequestContext, now: datetime) -> dict[str, Any]:
    """A trusted integrator relays consent given on an anonymous form (double opt-in): the purpose's email consent
    becomes `requested` and a confirmation mail to the prospect's primary address is queued; only its link grants
    the consent. A withdrawn or granted (unexpired) consent is left as it is and nothing is mailed. `reason` says
    why nothing was queued (`withdrawn`, `granted`, `recently_requested`, `bounced`)."""
    if channel != Channel.EMAIL:
        raise Unprocessable("Confirmation requests exist for the email channel only.",
                            errors=[field_error("channel", "must be email", "channel_unsupported")])
    prospect = await prospects.writable(uow.session, prospect_id)  # locked: concurrent requests queue one mail
    current = await repository.consent_of(uow.session, prospect_id, str(Channel.EMAIL), purpose=purpose)
    out: dict[str, Any] = {"purpose": str(purpose), "channel": str(Channel.EMAIL), "queued": False,
                           "consent_request_id": None}
    if reason := kept_as_is(current, now):
        assert current is not None
        return out | {"status": current.status, "reason": reason}
    if not prospect.emails:
        raise Unprocessable("The prospect has no email address to confirm.",
                            errors=[field_error("emails", "no email address", "email_missing")])
    await put(uow=uow, prospect_id=prospect_id, channel=Channel.EMAIL, purpose=purpose, values={
        "status": ConsentStatus.REQUESTED, "lawful_basis": "consent", "source": source, "text_version": text_version,
        "expires_at": None}, if_match=None, ctx=ctx, now=now)
    queued = await queue_confirmation(uow=uow, prospect_id=prospect_id, address=prospect.emails[0], purpose=purpose,
                                      source=source, text_version=text_version, ctx=ctx, now=now)
    if queued is None:
        bounced = SuppressionReason.BOUNCED in await repository.suppressions(uow.session, prospect_id, str(Channel.EMAIL))
        return out | {"status": ConsentStatus.REQUESTED, "reason": "bounced" if bounced else "recently_requested"}
    await activities.record(uow=uow, prospect_id=prospect_id, kind="consent_requested",
                            summary=f"Email consent for {purpose} requested; confirmation mail queued",
                            data={"consent_request_id": str(queued.id), "purpose": str(purpose), "source": source,
                                  "text_version": text_version}, actor=ctx.actor, at=now)
    return out | {"status": ConsentStatus.REQUESTED, "queued": True, "consent_request_id": queued.id, "reason": None}


async def _stop_email_when_blocked(uow: UnitOfWork, consent: Consent, now: datetime) -> None:
    if consent.channel == Channel.EMAIL and (reason := await verdict(uow=uow, prospect_id=consent.prospect_id,
                                                                     channel=consent.channel, now=now)):
        consent.stop_email(reason)


async def _timeline(uow: UnitOfWork, consent: Consent, changes: dict[str, Any], supp: list[str],
                    ctx: RequestContext | None) -> None:
    await activities.record(
        uow=uow, prospect_id=consent.prospect_id, kind="consent_changed",
        summary=f"{consent.channel} consent: {consent.status}" + (f" (suppressed: {', '.join(supp)})" if supp else ""),
        data={"channel": consent.channel,
              "changes": {k: {"before": str(v["before"]), "after": str(v["after"])} for k, v in changes.items()}},
        actor=ctx.actor if ctx else None)
