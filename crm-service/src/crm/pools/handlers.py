"""How memberships follow their prospect: moved to the survivor of a merge; at `applied`/`hired` in every pool
when the ATS says so."""
from __future__ import annotations

import uuid

from talentkit.auth import Principal, RequestContext
from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.pools import repository, service

SYSTEM = RequestContext(principal=Principal("crm", frozenset()))


async def prospect_merged(uow: UnitOfWork, event: DomainEvent) -> None:
    await service.follow_merge(uow=uow, survivor_id=uuid.UUID(event.data["survivor_id"]),
                               merged_id=uuid.UUID(event.data["merged_id"]))


async def ats_status(uow: UnitOfWork, event: DomainEvent) -> None:
    kind = event.data["kind"]
    if kind not in ("applied", "hired"):
        return
    prospect_id = uuid.UUID(event.data["prospect_id"])
    for m in await repository.memberships(uow.session, prospect_id):
        await service.place(uow=uow, pool_id=m.pool_id, prospect_id=prospect_id, stage_name=kind,
                            ctx=event.ctx or uow.ctx or SYSTEM)


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.merged.v1")(prospect_merged)
    bus.on("crm.prospect.ats_status.internal")(ats_status)
