"""How tasks react to other features' events."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from ats.tasks import repository


async def candidate_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """An erased candidate's mail (queued or sent) goes with their personal data."""
    await repository.forget_candidate(uow.session, uuid.UUID(event.data["candidate_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.candidate.erased.v1")(candidate_erased)
