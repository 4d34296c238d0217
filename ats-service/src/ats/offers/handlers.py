"""How offers follow their candidate's erasure."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from ats.offers import repository


async def candidate_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """Right to be forgotten: the records stay for reporting, the free text about the person goes."""
    await repository.erase_free_text(uow.session, uuid.UUID(event.data["candidate_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.candidate.erased.v1")(candidate_erased)
