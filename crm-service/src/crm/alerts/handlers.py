"""Alerts follow the erasure of the people they list."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.alerts import repository


async def prospect_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """The erased prospect's name leaves every alert that listed them (the id and score stay)."""
    prospect_id = str(event.data["prospect_id"])
    for alert in await repository.mentioning(uow.session, uuid.UUID(prospect_id), for_update=True):
        alert.forget(prospect_id)


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.erased.v1")(prospect_erased)
