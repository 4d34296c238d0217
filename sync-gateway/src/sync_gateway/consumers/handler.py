"""The consumer's handler, a thin adapter: the consumer opens the transaction and records the event as processed;
the handler hands the event to the profile sync, then to the business flows, in that transaction.

It keeps the consumer's `(session, event)` contract. Both still make their peer calls inside that transaction (a
pooled connection held across HTTP); the two-phase contract will split them into a read, the HTTP work outside
any transaction, and a write."""
from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import (
    ATS_APPLICATIONS,
    ATS_CANDIDATES,
    ATS_JOBS,
    CRM_PROSPECTS,
)
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import GATEWAY_PRINCIPAL

from sync_gateway.flows import BusinessFlows
from sync_gateway.profiles.service import ECHOES_DROPPED, ProfileSync

TOPICS = (ATS_CANDIDATES, ATS_APPLICATIONS, ATS_JOBS, CRM_PROSPECTS)


class EventHandler:
    """Profile sync, then the flows, for one event."""

    def __init__(self, *, profiles: ProfileSync, flows: BusinessFlows) -> None:
        self.profiles, self.flows = profiles, flows

    async def __call__(self, session: AsyncSession, event: EventEnvelope) -> None:
        await self.profiles.handle(session, event)
        await self.flows.handle(session, event)


def person_of(event: EventEnvelope) -> str | None:
    """Order an application's events with its candidate's profile events (one queue per person)."""
    if event.type.startswith("ats.application."):
        candidate_id = (event.data.get("application") or {}).get("candidate_id")
        return str(candidate_id) if candidate_id else None
    return None  # the record key: the candidate, prospect or job id


def wanted(event: EventEnvelope) -> bool:
    """Drop the echoes of our own writes before any database access; the flows still see the applications we
    created (the `applied` flow decides what to do with them)."""
    if event.origin == GATEWAY_PRINCIPAL and event.type != "ats.application.created.v1":
        ECHOES_DROPPED.inc()
        return False
    return True
