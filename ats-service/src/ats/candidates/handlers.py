"""What else holds a candidate's personal data, and forgets it when they are erased: the audit trail's personal
values, and the platform's copies (published outbox rows, stored idempotent responses)."""
from __future__ import annotations

from talentkit.forgetting import forget_platform_copies
from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from ats.audit import service as audit
from ats.db import platform


async def candidate_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """The audit trail keeps its entries (and verifies) without the candidate's personal values."""
    candidate_id = str(event.data["candidate_id"])
    await audit.forget(uow.session, candidate_id)
    await forget_platform_copies(uow.session, platform, candidate_id)


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.candidate.erased.v1")(candidate_erased)
