"""Careers form data follows its candidate's erasure."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from ats.careers import repository


async def candidate_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """The erased candidate's answers, resume and consent go with the rest of their personal data."""
    await repository.forget_candidate(uow.session, uuid.UUID(event.data["candidate_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.candidate.erased.v1")(candidate_erased)
