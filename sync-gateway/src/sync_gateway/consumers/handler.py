"""The consumer's handler, in the consumer's two-phase style: the profile sync, then the business flows, read what
they need and call the other service with no transaction open (nor a pooled connection held); the database writes
they kept (cursor, link, conflicts, tombstones) are the effects the consumer runs in one short transaction with the
processed-events row. An event that needs nothing written costs no transaction of its own (its processed-events
row is written in a batch with others)."""
from __future__ import annotations

from shared_schemas.envelope import EventEnvelope
from shared_schemas.topics import (
    ATS_APPLICATIONS,
    ATS_CANDIDATES,
    ATS_JOBS,
    ATS_RESUMES,
    CRM_PROSPECTS,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from talentkit.auth import GATEWAY_PRINCIPAL
from talentkit.consumer import Effects

from sync_gateway.flows import BusinessFlows
from sync_gateway.plan import Plan
from sync_gateway.profiles.service import ECHOES_DROPPED, ProfileSync

TOPICS = (ATS_CANDIDATES, ATS_APPLICATIONS, ATS_JOBS, ATS_RESUMES, CRM_PROSPECTS)


class EventHandler:
    """Profile sync, then the flows, for one event."""

    def __init__(self, *, profiles: ProfileSync, flows: BusinessFlows,
                 sessions: async_sessionmaker[AsyncSession] | None = None) -> None:
        self.profiles, self.flows, self.sessions = profiles, flows, sessions

    def bind(self, sessions: async_sessionmaker[AsyncSession]) -> EventHandler:
        """The same handler reading through `sessions` (the app's or the CLI's database)."""
        return EventHandler(profiles=self.profiles, flows=self.flows, sessions=sessions)

    async def handle(self, event: EventEnvelope) -> Effects | None:
        """Do the event's reads and peer calls; return its database writes (None: nothing to write)."""
        assert self.sessions is not None, "bind() the handler to a database first"
        plan = Plan(self.sessions)
        await self.profiles.handle(plan, event)
        await self.flows.handle(plan, event)
        return plan.effects()


def person_of(event: EventEnvelope) -> str | None:
    """Order an application's and a resume's events with their candidate's profile events (one queue per person:
    a flow that links the person on the fly never races the candidate's own creation into two prospects)."""
    if event.type.startswith("ats.application."):
        candidate_id = (event.data.get("application") or {}).get("candidate_id")
        return str(candidate_id) if candidate_id else None
    if event.type.startswith("ats.resume."):
        candidate_id = event.data.get("candidate_id")
        return str(candidate_id) if candidate_id else None
    return None  # the record key: the candidate, prospect or job id


def wanted(event: EventEnvelope) -> bool:
    """Drop the echoes of our own writes before any database access; the flows still see the applications we
    created (the `applied` flow decides what to do with them)."""
    if event.origin == GATEWAY_PRINCIPAL and event.type != "ats.application.created.v1":
        ECHOES_DROPPED.inc()
        return False
    return True
