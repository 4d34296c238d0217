"""How consent follows its prospect: an erased person's double opt-in requests lose their address."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.consent import repository


async def prospect_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    await repository.blank_requests(uow.session, uuid.UUID(event.data["prospect_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.erased.v1")(prospect_erased)
