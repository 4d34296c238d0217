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
async def background_check_moved(uow: UnitOfWork, event: DomainEvent) -> None:
    """The application shows its latest background check's state (same transaction as the check's change)."""
    app = await repository.get(uow.session, uuid.UUID(event.data["check"]["application_id"]), for_update=True)
    if app is not None:
        app.background_check_moved(event.data["check"])


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.offer.accepted.v1")(offer_accepted)
    bus.on("ats.candidate.erased.v1")(candidate_erased)
    bus.on("ats.background_check.requested.v1", "ats.background_check.status_changed.v1",
           "ats.background_check.adjudicated.v1")(background_check_moved)
