"""A push settles by itself when the ATS status `applied` for its job arrives."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.pushes import service


async def ats_status(uow: UnitOfWork, event: DomainEvent) -> None:
    if event.data["kind"] == "applied":
        await service.settle_by_application(uow=uow, prospect_id=uuid.UUID(event.data["prospect_id"]),
                                            job_id=event.data.get("job_id"), application_id=event.data.get("application_id"),
                                            ctx=event.ctx or uow.ctx)


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.ats_status.internal")(ats_status)
