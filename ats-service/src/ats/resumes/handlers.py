"""How resumes follow their candidate: erased with them, moved to the survivor of a merge."""
from __future__ import annotations

import uuid

from ats.resumes import repository
from talentkit.uow import DomainEvent, MessageBus, UnitOfWork


async def candidate_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """Right to be forgotten: the files, their text and everything read from them go."""
    await repository.erase(uow.session, uuid.UUID(event.data["candidate_id"]))


async def candidate_merged(uow: UnitOfWork, event: DomainEvent) -> None:
    """The duplicate's resumes belong to the survivor now."""
    await repository.move(uow.session, uuid.UUID(event.data["merged_id"]), uuid.UUID(event.data["survivor_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.candidate.erased.v1")(candidate_erased)
    bus.on("ats.candidate.merged.v1")(candidate_merged)
