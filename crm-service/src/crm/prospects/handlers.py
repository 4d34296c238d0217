"""What the platform keeps of an erased prospect and forgets with them: published outbox rows and stored idempotent
responses that mention them and, by shredding their event key (and their merged duplicates'), every copy of their
events on Kafka."""
from __future__ import annotations

import uuid

from talentkit.forgetting import forget_platform_copies
from talentkit.sealing import sealer_for
from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.db import platform
from crm.prospects import repository


async def prospect_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """Their events become unreadable wherever they are; the platform's own copies go."""
    prospect_id = uuid.UUID(str(event.data["prospect_id"]))
    people = [str(p) for p in (prospect_id, *await repository.merged_into(uow.session, prospect_id))]
    for person in people:
        await forget_platform_copies(uow.session, platform, person)
    if platform.subject_keys is not None:
        await sealer_for(platform.subject_keys).shred(uow.session, people)


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.erased.v1")(prospect_erased)
