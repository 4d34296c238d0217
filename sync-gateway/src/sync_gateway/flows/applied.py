"""Flow 2: an ATS application of someone known to the CRM: the CRM timeline shows it, nurture ends (`applied`);
a careers-form application that ticked the talent-pool box grants the CRM email consent (source `talent_pool`)."""
import uuid
from typing import Any

from shared_schemas.envelope import EventEnvelope
from talentkit.auth import GATEWAY_PRINCIPAL

from sync_gateway.flows.common import FLOWS, FlowContext
from sync_gateway.plan import Plan

EVENTS = ("ats.application.created.v1",)


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Link the candidate if needed and put the application on the prospect's timeline."""
    if event.origin == GATEWAY_PRINCIPAL:
        return  # our own push (flow 1) already told the CRM
    application = event.data["application"]
    link = await flow.profiles.link_of_candidate(plan, uuid.UUID(application["candidate_id"]), event)
    if link is None or link.crm_prospect_id is None:
        return
    await flow.tell_crm(event, link.crm_prospect_id, "applied", application)
    if consent := event.data.get("talent_pool_consent"):
        await talent_pool(flow, event, link.crm_prospect_id, consent)
    FLOWS.labels("applied").inc()


async def talent_pool(flow: FlowContext, event: EventEnvelope, prospect_id: uuid.UUID, consent: dict[str, Any]) -> None:
    """The candidate ticked the careers form's talent-pool box: the CRM may email them about other jobs
    (email consent granted, source `talent_pool`, with the text version they agreed to)."""
    await flow.crm.put(f"/v1/prospects/{prospect_id}/consent/email", {
        "status": "granted", "lawful_basis": "consent", "source": "talent_pool",
        "text_version": consent["text_version"]}, causation_id=event.id)
