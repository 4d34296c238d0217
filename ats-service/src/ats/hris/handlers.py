"""The hand-off follows the hire: queued with it, called off when the hire is undone first."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from ats.hris import service


async def hired(uow: UnitOfWork, event: DomainEvent) -> None:
    await service.queue(uow=uow, application_id=uuid.UUID(event.data["application_id"]), hire_version=event.sequence)


async def unhired(uow: UnitOfWork, event: DomainEvent) -> None:
    await service.call_off(uow=uow, application_id=uuid.UUID(event.data["application_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.application.hired.v1")(hired)
    bus.on("ats.application.unhired.v1")(unhired)
