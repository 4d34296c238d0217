"""Offer use cases: lock, let the offer's state machine decide (it records its events)."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import NotFound
from talentkit.pagination import Paging
from talentkit.uow import UnitOfWork

from ats.applications import service as applications
from ats.offers import repository
from ats.offers.models import Offer, OfferStatus
from ats.users import acting_user


async def get(*, uow: UnitOfWork, offer_id: uuid.UUID, for_update: bool = False) -> Offer:
    """The offer, or 404."""
    offer = await repository.get(uow.session, offer_id, for_update=for_update)
    if offer is None:
        raise NotFound(f"No offer with id {offer_id}.")
    return offer


async def list_offers(*, uow: UnitOfWork, paging: Paging, application_id: uuid.UUID | None,
                      status: OfferStatus | None, updated_after: datetime | None) -> dict[str, Any]:
    """A page of offers, oldest first."""
    stmt = repository.listing(application_id=application_id, status=status, updated_after=updated_after)
    return await paging.page(uow.session, stmt, model=Offer, filters={
        "application_id": str(application_id) if application_id else None, "status": status.value if status else None,
        "updated_after": updated_after.isoformat() if updated_after else None})


async def create(*, uow: UnitOfWork, values: dict[str, Any], ctx: RequestContext) -> Offer:
    """Draft the application's next offer version, by the caller; earlier offers still in play are rescinded."""
    values = dict(values)
    app = await applications.referenced(uow=uow, application_id=values.pop("application_id"))  # locked: versions in turn
    offer = Offer.draft(app, await repository.next_offer_version(uow.session, app.id), values, author=acting_user(ctx),
                        actor=ctx.actor)
    earlier = await repository.open_offers(uow.session, app.id)
    uow.session.add(offer)
    await uow.flush()
    for old in earlier:
        old.rescind(f"superseded by offer version {offer.offer_version}", ctx.actor)
    return offer


async def update(*, uow: UnitOfWork, offer_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> Offer:
    """Edit a draft offer under If-Match."""
    offer = await get(uow=uow, offer_id=offer_id, for_update=True)
    check_if_match(if_match, offer.version)
    offer.edit(values, ctx.actor)
    return offer


async def request_approval(*, uow: UnitOfWork, offer_id: uuid.UUID, ctx: RequestContext) -> Offer:
    """Ask the approver chain, from its first approver."""
    offer = await get(uow=uow, offer_id=offer_id, for_update=True)
    offer.request_approval(ctx.actor)
    return offer


async def approve(*, uow: UnitOfWork, offer_id: uuid.UUID, ctx: RequestContext) -> Offer:
    """The caller's approval, as the next approver of the chain; the last one approves the offer."""
    offer = await get(uow=uow, offer_id=offer_id, for_update=True)
    offer.approve(by=acting_user(ctx), principal=ctx.principal.id, actor=ctx.actor)
    return offer


async def reject(*, uow: UnitOfWork, offer_id: uuid.UUID, reason: str, ctx: RequestContext) -> Offer:
    """The next approver sends the offer back to draft."""
    offer = await get(uow=uow, offer_id=offer_id, for_update=True)
    offer.reject(by=acting_user(ctx), reason=reason, principal=ctx.principal.id, actor=ctx.actor)
    return offer


async def send(*, uow: UnitOfWork, offer_id: uuid.UUID, ctx: RequestContext) -> Offer:
    """The approved offer went to the candidate."""
    offer = await get(uow=uow, offer_id=offer_id, for_update=True)
    offer.send(ctx.actor)
    return offer


async def accept(*, uow: UnitOfWork, offer_id: uuid.UUID, ctx: RequestContext) -> Offer:
    """The candidate accepted the sent offer."""
    offer = await get(uow=uow, offer_id=offer_id, for_update=True)
    offer.accept(ctx.actor)
    return offer


async def decline(*, uow: UnitOfWork, offer_id: uuid.UUID, reason: str, ctx: RequestContext) -> Offer:
    """The candidate declined the sent offer."""
    offer = await get(uow=uow, offer_id=offer_id, for_update=True)
    offer.decline(reason, ctx.actor)
    return offer


async def rescind(*, uow: UnitOfWork, offer_id: uuid.UUID, reason: str | None, ctx: RequestContext) -> Offer:
    """Withdraw an offer still in play."""
    offer = await get(uow=uow, offer_id=offer_id, for_update=True)
    offer.rescind(reason, ctx.actor)
    return offer
