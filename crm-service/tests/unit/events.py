"""Helpers for the aggregate tests: build CRM aggregates without a database and read what they recorded."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from crm.prospects.models import Prospect
from talentkit.uow import DomainEvent, RecordsEvents


def recorded(aggregate: RecordsEvents) -> list[DomainEvent]:
    """What the aggregate recorded since the last call (it is not in a session, so it keeps its events)."""
    return aggregate.collect_events()


def only(aggregate: RecordsEvents) -> DomainEvent:
    """The one event the aggregate recorded since the last call."""
    [event] = recorded(aggregate)
    return event


def prospect(*emails: str, **values: object) -> Prospect:
    """A live prospect (version 1), nothing recorded."""
    p = Prospect()
    p.start({"first_name": "Ada", "last_name": "Lovelace", "emails": list(emails), "tags": ["python"], **values},
            at=datetime.now(UTC), actor="t")
    p.id, p.status, p.merged_into_id = uuid.uuid4(), "active", None
    return p
