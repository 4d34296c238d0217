"""A new prospect who did not sign up themselves owes an Art. 14 notice from their collection."""
from __future__ import annotations

import uuid
from datetime import datetime

from talentkit.uow import DomainEvent, MessageBus, UnitOfWork

from crm.compliance import art14
from crm.prospects.models import Prospect
from crm.prospects.service import prospects


async def prospect_created(uow: UnitOfWork, event: DomainEvent) -> None:
    """Set the notice's due date: collection plus one month (first contact brings it forward)."""
    snapshot = event.data["prospect"]
    if art14.sourced(snapshot.get("source")):
        # the prospect is in the unit of work already (it was just created): no query, only its UPDATE at flush
        record = await uow.session.get(Prospect, uuid.UUID(str(snapshot["id"]))) or \
            await prospects.get(uow.session, uuid.UUID(str(snapshot["id"])))
        record.art14_due_at = art14.due_at(datetime.fromisoformat(str(snapshot["created_at"])))


def register(bus: MessageBus) -> None:
    """Subscribe this feature's handlers."""
    bus.on("crm.prospect.created.v1")(prospect_created)
