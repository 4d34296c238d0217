"""When enrollments end because of something else: the prospect erased or merged, email stopped (withdrawn,
unsubscribed, bounced), a human reply, an application or hire in the ATS."""
from __future__ import annotations

import uuid

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.enrollments import service


def _actor(uow: UnitOfWork, event: DomainEvent) -> str:
    ctx = event.ctx or uow.ctx
    return ctx.actor if ctx else "crm"


async def prospect_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    await service.exit_all(uow=uow, prospect_id=uuid.UUID(event.data["prospect_id"]), reason="erased", actor=_actor(uow, event))


async def prospect_merged(uow: UnitOfWork, event: DomainEvent) -> None:
    await service.follow_merge(uow=uow, survivor_id=uuid.UUID(event.data["survivor_id"]),
                               merged_id=uuid.UUID(event.data["merged_id"]), actor=_actor(uow, event))


async def email_stopped(uow: UnitOfWork, event: DomainEvent) -> None:
    await service.exit_all(uow=uow, prospect_id=uuid.UUID(event.data["prospect_id"]), reason=event.data["reason"],
                           actor=_actor(uow, event))


async def message_replied(uow: UnitOfWork, event: DomainEvent) -> None:
    await service.exit_all(uow=uow, prospect_id=uuid.UUID(event.data["message"]["prospect_id"]), reason="reply",
                           actor=_actor(uow, event))


async def ats_status(uow: UnitOfWork, event: DomainEvent) -> None:
    if event.data["kind"] in ("applied", "hired"):
        await service.exit_all(uow=uow, prospect_id=uuid.UUID(event.data["prospect_id"]), reason=event.data["kind"],
                               actor=_actor(uow, event))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.erased.v1")(prospect_erased)
    bus.on("crm.prospect.merged.v1")(prospect_merged)
    bus.on("crm.consent.email_stopped.internal")(email_stopped)
    bus.on("crm.message.replied.v1")(message_replied)
    bus.on("crm.prospect.ats_status.internal")(ats_status)
