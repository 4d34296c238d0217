"""Flow 2: an ATS application of someone known to the CRM: the CRM timeline shows it, nurture ends (`applied`)."""
import uuid

from shared_schemas.envelope import EventEnvelope
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import GATEWAY_PRINCIPAL

from sync_gateway.flows.common import FLOWS, FlowContext

EVENTS = ("ats.application.created.v1",)


async def carry(flow: FlowContext, session: AsyncSession, event: EventEnvelope) -> None:
    """Link the candidate if needed and put the application on the prospect's timeline."""
    if event.origin == GATEWAY_PRINCIPAL:
        return  # our own push (flow 1) already told the CRM
    application = event.data["application"]
    link = await flow.profiles.link_of_candidate(session, uuid.UUID(application["candidate_id"]), event)
    if link is None or link.crm_prospect_id is None:
        return
    await flow.tell_crm(event, link.crm_prospect_id, "applied", application)
    FLOWS.labels("applied").inc()
