"""How messages follow their prospect: an erased person's messages lose their contents and addresses."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.sending import repository


async def prospect_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    await repository.anonymise(uow.session, uuid.UUID(event.data["prospect_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.erased.v1")(prospect_erased)
