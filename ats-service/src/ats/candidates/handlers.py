"""What else holds a candidate's personal data, and forgets it when they are erased: the audit trail's personal
values, the platform's copies (published outbox rows, stored idempotent responses) and, by shredding the
candidate's event key (and their merged duplicates'), every copy of their events on Kafka."""
from __future__ import annotations

import uuid

from talentkit.forgetting import forget_platform_copies
from talentkit.sealing import sealer_for
from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from ats.audit import service as audit
from ats.candidates import repository
from ats.db import platform


async def candidate_erased(uow: UnitOfWork, event: DomainEvent) -> None:
    """The audit trail keeps its entries (and verifies) without the candidate's personal values; their events
    become unreadable."""
    candidate_id = uuid.UUID(str(event.data["candidate_id"]))
    people = [str(p) for p in (candidate_id, *await repository.merged_into(uow.session, candidate_id))]
    for person in people:
        await audit.forget(uow.session, person)
        await forget_platform_copies(uow.session, platform, person)
    if platform.subject_keys is not None:
        await sealer_for(platform.subject_keys).shred(uow.session, people)


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("ats.candidate.erased.v1")(candidate_erased)
