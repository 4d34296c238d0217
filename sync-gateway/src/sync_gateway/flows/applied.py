"""Flow 2: an ATS application of someone known to the CRM: the CRM timeline shows it, nurture ends (`applied`);
a careers-form application that ticked the talent-pool box asks the CRM for a double opt-in of `talent_pool`
consent on email (never over a withdrawal)."""
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
    """The candidate ticked the careers form's talent-pool box. The form is anonymous (anyone can type anyone's
    address), so the CRM is asked for a double opt-in: its `talent_pool` consent on email becomes `requested` and it
    mails the person a link; only that link grants it (source `talent_pool`, the text version they agreed to). It
    asks for nothing else (marketing mail needs its own consent); the CRM leaves a withdrawn or granted consent as it
    is and mails nothing then. An erased prospect hears of nothing any more."""
    await flow.crm.post(f"/v1/prospects/{prospect_id}/consent/email/confirmation-requests",
                        {"purpose": "talent_pool", "source": "talent_pool", "text_version": consent["text_version"]},
                        idempotency_key=f"sync-gateway:{event.id}:talent-pool-confirmation", causation_id=event.id,
                        allow=(410,))
