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

from sync_gateway.flows import BusinessFlows
from sync_gateway.profiles.service import ProfileSync

TOPICS = (ATS_CANDIDATES, ATS_APPLICATIONS, ATS_JOBS, CRM_PROSPECTS)


class EventHandler:
    """Profile sync, then the flows, for one event."""

    def __init__(self, *, profiles: ProfileSync, flows: BusinessFlows) -> None:
        self.profiles, self.flows = profiles, flows

    async def __call__(self, session: AsyncSession, event: EventEnvelope) -> None:
        await self.profiles.handle(session, event)
        await self.flows.handle(session, event)
