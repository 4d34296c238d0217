"""Offer use cases: lock, let the offer's state machine decide, then event (where there is one) + audit."""
from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import NotFound

from ats.applications import service as applications
from ats.audit import service as audit
from ats.events import emit
from ats.offers import repository
from ats.offers.models import Offer
from ats.users import acting_user


async def get(session: AsyncSession, offer_id: uuid.UUID, *, for_update: bool = False) -> Offer:
    """The offer, or 404."""
    offer = await repository.get(session, offer_id, for_update=for_update)
    if offer is None:
        raise NotFound(f"No offer with id {offer_id}.")
    return offer


async def create(session: AsyncSession, values: dict[str, Any], ctx: RequestContext) -> Offer:
    """Draft the application's next offer version; earlier offers still in play are rescinded."""
    app = await applications.referenced(session, values.pop("application_id"))  # locked: versions are assigned in turn
    offer = Offer.draft(app, await repository.next_offer_version(session, app.id), values, author=acting_user(ctx),
                        actor=ctx.actor)
    earlier = await repository.open_offers(session, app.id)
    session.add(offer)
    await session.flush()
    await emit(session, ctx, "ats.offer.created.v1", aggregate_id=offer.id, sequence=offer.version,
               data={"offer": offer.snapshot()})
    await audit.record(session, ctx, "offer.created", "offer", offer.id,
                       {"application_id": {"before": None, "after": app.id},
                        "offer_version": {"before": None, "after": offer.offer_version},
                        **{k: {"before": None, "after": v} for k, v in values.items()}})
    for old in earlier:
        await _rescind(session, old, f"superseded by offer version {offer.offer_version}", ctx)
    return offer


async def update(session: AsyncSession, offer_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> Offer:
    offer = await get(session, offer_id, for_update=True)
    check_if_match(if_match, offer.version)
    changes = offer.edit(values, ctx.actor)
    if changes:
        await session.flush()
        await audit.record(session, ctx, "offer.updated", "offer", offer.id, changes)
    return offer


async def approve(session: AsyncSession, offer_id: uuid.UUID, ctx: RequestContext) -> Offer:
    """The caller's approval, as the next approver of the chain; the last one approves the offer."""
    offer = await get(session, offer_id, for_update=True)
    changes = offer.approve(by=acting_user(ctx), principal=ctx.principal.id, actor=ctx.actor)
    await session.flush()
    if offer.status == "approved":
        await emit(session, ctx, "ats.offer.approved.v1", aggregate_id=offer.id, sequence=offer.version,
                   data={"offer": offer.snapshot()})
    await audit.record(session, ctx, "offer.approved" if offer.status == "approved" else "offer.approval_given",
                       "offer", offer.id, changes)
    return offer


async def reject(session: AsyncSession, offer_id: uuid.UUID, reason: str, ctx: RequestContext) -> Offer:
    """The next approver sends the offer back to draft."""
    offer = await get(session, offer_id, for_update=True)
    changes = offer.reject(by=acting_user(ctx), reason=reason, principal=ctx.principal.id, actor=ctx.actor)
    await session.flush()
    await audit.record(session, ctx, "offer.approval_rejected", "offer", offer.id, changes)
    return offer


async def act(session: AsyncSession, offer_id: uuid.UUID, action: str, ctx: RequestContext, reason: str | None = None) -> Offer:
    """Run one transition: request_approval, send, accept, decline (with reason) or rescind."""
    offer = await get(session, offer_id, for_update=True)
    if action == "rescind":
        return await _rescind(session, offer, reason, ctx)
    before = offer.status
    if action == "decline":
        offer.decline(reason or "", ctx.actor)
    else:
        getattr(offer, action)(ctx.actor)
    await session.flush()
    changes: dict[str, Any] = {"status": {"before": before, "after": offer.status}}
    if action == "decline":
        changes["decline_reason"] = {"before": None, "after": reason}
    if action != "request_approval":  # asking for approval stays inside the ATS
        event_data: dict[str, Any] = {"offer": offer.snapshot()} | ({"reason": reason} if action == "decline" else {})
        await emit(session, ctx, f"ats.offer.{offer.status}.v1", aggregate_id=offer.id, sequence=offer.version, data=event_data)
    await audit.record(session, ctx, f"offer.{offer.status}", "offer", offer.id, changes)
    return offer


async def _rescind(session: AsyncSession, offer: Offer, reason: str | None, ctx: RequestContext) -> Offer:
    before = offer.status
    offer.rescind(ctx.actor)
    await session.flush()
    await audit.record(session, ctx, "offer.rescinded", "offer", offer.id,
                       {"status": {"before": before, "after": offer.status}, "reason": {"before": None, "after": reason}})
    return offer
