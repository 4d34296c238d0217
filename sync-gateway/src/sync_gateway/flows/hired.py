"""Flow 3: an ATS hire: the CRM marks the prospect hired (every enrollment ends, no more nurture); the source of
hire is the CRM's first touch."""
import uuid

from shared_schemas.envelope import EventEnvelope

from sync_gateway.flows.common import FLOWS, FlowContext
from sync_gateway.plan import Plan

EVENTS = ("ats.application.hired.v1",)


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Tell the CRM of the hire; write the CRM's first touch as the candidate's source."""
    application = event.data["application"]
    link = await flow.profiles.link_of_candidate(plan, uuid.UUID(application["candidate_id"]), event)
    if link is None or link.crm_prospect_id is None:
        return
    await flow.tell_crm(event, link.crm_prospect_id, "hired", application)
    # Source of hire: the CRM knows the first touch (policy prefer_crm_unless_blank).
    prospect = await flow.crm.get_json(f"/v1/prospects/{link.crm_prospect_id}")
    first_touch = (prospect or {}).get("source")
    if first_touch and first_touch != "ats_import":
        got = await flow.ats.get(application["candidate_id"])
        if got and got[0].get("source") != first_touch:
            await flow.ats.patch(application["candidate_id"], {"source": first_touch}, etag=got[1],
                                 causation_id=event.id, source_time=event.time)
    FLOWS.labels("hired").inc()
