"""Flow 2: an ATS application of someone known to the CRM: the CRM timeline shows it, nurture ends (`applied`);
a careers-form application that ticked the talent-pool box grants the CRM `talent_pool` consent on email
(never over a withdrawal)."""
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
    """The candidate ticked the careers form's talent-pool box: the CRM may keep them in its talent pool and
    consider them for other jobs (`talent_pool` consent on email granted, source `talent_pool`, with the text
    version they agreed to). It grants nothing else (marketing mail needs its own consent), and never overturns a
    withdrawal: a person who withdrew stays withdrawn until they say otherwise on the CRM's own consent page."""
    path = f"/v1/prospects/{prospect_id}/consent"
    current = await flow.crm.get_json(path)
    held = next((c for c in (current or {}).get("purposes", ())
                 if c["purpose"] == "talent_pool" and c["channel"] == "email"), None)
    if held is not None and held["status"] == "withdrawn":
        return
    await flow.crm.put(f"{path}/email", {
        "purpose": "talent_pool", "status": "granted", "lawful_basis": "consent", "source": "talent_pool",
        "text_version": consent["text_version"]}, causation_id=event.id)
