"""Consent use cases: read a prospect's consent, record a new statement, suppress a channel, and the sending rule.
When email may no longer be used, the consent records `crm.consent.email_stopped.internal` (running enrollments
exit: see `crm.enrollments.handlers`)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.consent import repository
from crm.consent.models import Channel, Consent, ConsentStatus, sending_verdict
from crm.prospects.service import prospects


async def suppressions(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: str) -> list[str]:
    """The channel's suppression reasons."""
    return await repository.suppressions(uow.session, prospect_id, channel)


async def verdict(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: str, now: datetime) -> str | None:
    """None when the CRM may message the prospect on `channel` now, else the reason it may not."""
    consent = await repository.consent_of(uow.session, prospect_id, channel)
    return sending_verdict(consent, await repository.suppressions(uow.session, prospect_id, channel), now)


def _channel_view(channel: str, consent: Consent | None, supp: list[str]) -> dict[str, Any]:
    base = {"channel": channel, "suppressions": supp}
    if consent is None:
        return base | {"status": ConsentStatus.UNKNOWN, "version": 0}
    return base | {k: getattr(consent, k) for k in ("status", "lawful_basis", "source", "text_version", "expires_at",
                                                     "version", "updated_at")}


async def read(*, uow: UnitOfWork, prospect_id: uuid.UUID) -> dict[str, Any]:
    """Consent and suppressions of every channel (`unknown` where nothing was recorded)."""
    await prospects.get(uow.session, prospect_id)
    channels = [_channel_view(ch, await repository.consent_of(uow.session, prospect_id, ch),
                              await repository.suppressions(uow.session, prospect_id, ch)) for ch in Channel]
    return {"prospect_id": str(prospect_id), "channels": channels}


async def _locked(uow: UnitOfWork, prospect_id: uuid.UUID, channel: str, actor: str) -> Consent:
    consent = await repository.consent_of(uow.session, prospect_id, channel, for_update=True)
    if consent is None:
        consent = Consent.nothing_recorded(prospect_id, channel, actor)
        uow.session.add(consent)
    return consent


async def put(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: Channel, values: dict[str, Any], if_match: str | None,
              ctx: RequestContext, now: datetime) -> dict[str, Any]:
    """Record the channel's consent (and optionally replace its suppressions); email that may no longer be used
    exits the prospect's running enrollments. Records `crm.consent.changed.v1` when anything changed."""
    await prospects.writable(uow.session, prospect_id)
    existing = await repository.consent_of(uow.session, prospect_id, str(channel), for_update=True)
    if if_match is not None:
        check_if_match(if_match, existing.version if existing else 0)
    consent = existing or await _locked(uow, prospect_id, str(channel), ctx.actor)
    values = dict(values)
    wanted = values.pop("suppressions", None)
    before = await repository.suppressions(uow.session, prospect_id, str(channel))
    after = sorted(set(wanted)) if wanted is not None else before
    if after != before:
        await repository.replace_suppressions(uow.session, prospect_id, str(channel), after, ctx.actor)
    changes = consent.restate(values, suppressions=(before, after), actor=ctx.actor, ctx=ctx)
    await uow.flush()
    if changes:
        await _timeline(uow, consent, changes, after, ctx)
    await _stop_email_when_blocked(uow, consent, now)
    return _channel_view(str(channel), consent, after)


async def suppress(*, uow: UnitOfWork, prospect_id: uuid.UUID, channel: str, reason: str, ctx: RequestContext | None,
                   now: datetime) -> bool:
    """Add one suppression (unsubscribe link, bounce); True when it is new. Records `crm.consent.changed.v1`."""
    actor = ctx.actor if ctx else "crm"
    before = await repository.suppressions(uow.session, prospect_id, channel)
    if not await repository.add_suppression(uow.session, prospect_id, channel, reason, actor):
        return False
    consent = await _locked(uow, prospect_id, channel, actor)
    after = sorted({*before, reason})
    changes = consent.restate({k: getattr(consent, k) for k in ("status", "lawful_basis", "source", "text_version",
                                                                "expires_at")},
                              suppressions=(before, after), actor=actor, ctx=ctx)
    await uow.flush()
    await _timeline(uow, consent, changes, after, ctx)
    await _stop_email_when_blocked(uow, consent, now)
    return True


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
