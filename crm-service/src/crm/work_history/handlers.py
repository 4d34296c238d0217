"""How a work history follows its prospect: forgotten with an erasure, moved to the survivor of a merge."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.work_history import repository


async def prospect_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    await repository.forget(uow.session, uuid.UUID(event.data["prospect_id"]))


async def prospect_merged(uow: UnitOfWork, event: DomainEvent) -> None:
    await repository.move(uow.session, uuid.UUID(event.data["merged_id"]), uuid.UUID(event.data["survivor_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.erased.v1")(prospect_erased)
    bus.on("crm.prospect.merged.v1")(prospect_merged)
