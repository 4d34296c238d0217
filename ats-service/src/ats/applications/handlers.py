"""How applications react to other features' events."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from ats.applications import repository


async def offer_accepted(uow: UnitOfWork, event: DomainEvent) -> None:
    """An accepted offer makes its application hireable from any stage (same transaction as the acceptance)."""
    app = await repository.get(uow.session, uuid.UUID(event.data["offer"]["application_id"]), for_update=True)
    if app is not None:
        app.offer_accepted(event.time or datetime.now(UTC))


async def candidate_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """Right to be forgotten: the applications stay (reports need them) without free text about the person."""
    await repository.erase_free_text(uow.session, uuid.UUID(event.data["candidate_id"]))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.offer.accepted.v1")(offer_accepted)
    bus.on("ats.candidate.erased.v1")(candidate_erased)
