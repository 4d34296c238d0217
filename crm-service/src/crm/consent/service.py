"""Consent use cases: read a prospect's consent, record a new statement, suppress a channel, and the sending rule."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import NotFound

from crm.activities.service import record as record_activity
from crm.consent.models import (
    Channel,
    Consent,
    ConsentStatus,
    Suppression,
    sending_verdict,
)
from crm.events import emit
from crm.prospects.models import Prospect

TOPIC = "crm.consents"


async def _prospect(session: AsyncSession, prospect_id: uuid.UUID) -> Prospect:
    prospect = await session.get(Prospect, prospect_id)
    if prospect is None:
        raise NotFound(f"No prospect with id {prospect_id}.")
    return prospect


async def suppressions(session: AsyncSession, prospect_id: uuid.UUID, channel: str) -> list[str]:
    """The channel's suppression reasons."""
    return list((await session.execute(select(Suppression.reason).where(
        Suppression.prospect_id == prospect_id, Suppression.channel == channel).order_by(Suppression.reason))).scalars())


async def verdict(session: AsyncSession, prospect_id: uuid.UUID, channel: str, now: datetime) -> str | None:
    """None when the CRM may message the prospect on `channel` now, else the reason it may not."""
    consent = await session.get(Consent, (prospect_id, channel))
    return sending_verdict(consent, await suppressions(session, prospect_id, channel), now)


def _channel_view(channel: str, consent: Consent | None, supp: list[str]) -> dict[str, Any]:
    base = {"channel": channel, "suppressions": supp}
    if consent is None:
        return base | {"status": ConsentStatus.UNKNOWN, "version": 0}
    return base | {k: getattr(consent, k) for k in ("status", "lawful_basis", "source", "text_version", "expires_at",
                                                     "version", "updated_at")}


async def read(session: AsyncSession, prospect_id: uuid.UUID) -> dict[str, Any]:
    """Consent and suppressions of every channel (`unknown` where nothing was recorded)."""
    await _prospect(session, prospect_id)
    channels = []
    for ch in Channel:
        channels.append(_channel_view(ch, await session.get(Consent, (prospect_id, str(ch))),
                                      await suppressions(session, prospect_id, ch)))
    return {"prospect_id": str(prospect_id), "channels": channels}


async def put(session: AsyncSession, prospect_id: uuid.UUID, channel: Channel, values: dict[str, Any],
              if_match: str | None, ctx: RequestContext, now: datetime) -> dict[str, Any]:
    """Record the channel's consent (and optionally replace its suppressions); a channel the CRM may no longer
    use exits the prospect's running enrollments. Emits `crm.consent.changed.v1` when anything changed."""
    (await _prospect(session, prospect_id)).ensure_writable()
    consent = (await session.execute(select(Consent).where(Consent.prospect_id == prospect_id, Consent.channel == channel)
                                     .with_for_update())).scalar_one_or_none()
    if if_match is not None:
        check_if_match(if_match, consent.version if consent else 0)
    new_supp = values.pop("suppressions", None)
    if consent is None:
        consent = Consent(prospect_id=prospect_id, channel=str(channel), status=ConsentStatus.UNKNOWN, version=0,
                          updated_by=ctx.actor)
        session.add(consent)
    changes = consent.record(values, ctx.actor)
    bumped = bool(changes)
    before_supp = await suppressions(session, prospect_id, channel)
    if new_supp is not None and sorted(set(new_supp)) != before_supp:
        await set_suppressions(session, prospect_id, str(channel), sorted(set(new_supp)), ctx)
        changes["suppressions"] = {"before": before_supp, "after": sorted(set(new_supp))}
        if not bumped:  # one version step per change, whatever it touched
            consent.version += 1
    await session.flush()
    if changes:
        await _changed(session, consent, changes, ctx)
    reason = await verdict(session, prospect_id, str(channel), now)
    if reason and channel == Channel.EMAIL:
        from crm.enrollments.service import exit_all
        await exit_all(session, prospect_id, reason, ctx)
    return _channel_view(str(channel), consent, await suppressions(session, prospect_id, channel))


async def set_suppressions(session: AsyncSession, prospect_id: uuid.UUID, channel: str, reasons: list[str],
                           ctx: RequestContext | None) -> None:
    await session.execute(delete(Suppression).where(Suppression.prospect_id == prospect_id, Suppression.channel == channel))
    for r in reasons:
        session.add(Suppression(prospect_id=prospect_id, channel=channel, reason=r, created_by=ctx.actor if ctx else "crm"))
    await session.flush()


async def suppress(session: AsyncSession, prospect_id: uuid.UUID, channel: str, reason: str,
                   ctx: RequestContext | None) -> bool:
    """Add one suppression (unsubscribe link, bounce); True when it is new. Emits `crm.consent.changed.v1`."""
    added = (await session.execute(insert(Suppression).values(
        prospect_id=prospect_id, channel=channel, reason=reason, created_by=ctx.actor if ctx else "crm",
    ).on_conflict_do_nothing().returning(Suppression.reason))).first()
    if added is None:
        return False
    consent = (await session.execute(select(Consent).where(Consent.prospect_id == prospect_id, Consent.channel == channel)
                                     .with_for_update())).scalar_one_or_none()
    if consent is None:
        consent = Consent(prospect_id=prospect_id, channel=channel, status=ConsentStatus.UNKNOWN, version=0,
                          updated_by=ctx.actor if ctx else "crm")
        session.add(consent)
    consent.version += 1
    await session.flush()
    after = await suppressions(session, prospect_id, channel)
    await _changed(session, consent, {"suppressions": {"before": [r for r in after if r != reason], "after": after}}, ctx)
    return True


async def _changed(session: AsyncSession, consent: Consent, changes: dict[str, Any], ctx: RequestContext | None) -> None:
    supp = await suppressions(session, consent.prospect_id, consent.channel)
    await emit(session, ctx, "crm.consent.changed.v1", aggregate_id=consent.prospect_id, sequence=consent.version,
               topic=TOPIC, data={"prospect_id": consent.prospect_id, "channel": consent.channel, "status": consent.status,
                                  "lawful_basis": consent.lawful_basis, "source": consent.source,
                                  "text_version": consent.text_version, "expires_at": consent.expires_at,
                                  "suppressions": supp, "changes": changes})
    await record_activity(session, consent.prospect_id, "consent_changed",
                          f"{consent.channel} consent: {consent.status}" + (f" (suppressed: {', '.join(supp)})" if supp else ""),
                          data={"channel": consent.channel, "changes": {k: {"before": str(v["before"]), "after": str(v["after"])}
                                                                        for k, v in changes.items()}},
                          actor=ctx.actor if ctx else None)
