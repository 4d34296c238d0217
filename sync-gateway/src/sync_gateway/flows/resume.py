"""Flow 9: a resume read in the ATS: the linked prospect's CRM embedding takes in the start of its text, without
who the person is, while the field policy lets `resume_text` through (mode `ats`; `none` keeps resume text in
the ATS from then on). Two resumes read close together may arrive in either order: the CRM keeps the one read last."""
import uuid

from shared_schemas.envelope import EventEnvelope
from shared_schemas.policy import OwnershipMode

from sync_gateway.flows.common import FLOWS, SETTLED, FlowContext
from sync_gateway.plan import Plan

EVENTS = ("ats.resume.parsed.v1",)
EXCERPT = 2000  # characters: more than the embedding model reads (256 word pieces), far less than a resume


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Put the start of the resume's blind text on the linked prospect (nothing while the policy says `none`)."""
    if (await flow.profiles.current_policy(plan)).mode("resume_text") is OwnershipMode.NONE:
        return
    candidate_id = uuid.UUID(str(event.data["candidate_id"]))
    link = await flow.profiles.link_of_candidate(plan, candidate_id, event)
    if link is None or link.crm_prospect_id is None:
        return
    resume = await flow.ats.get_json(f"/v1/candidates/{candidate_id}/resumes/{event.data['resume_id']}")
    if resume is None:  # erased, or the candidate merged away, since it was read
        return
    await flow.crm.put(f"/v1/prospects/{link.crm_prospect_id}/resume-text",
                       {"text": resume["blind_text"][:EXCERPT], "resume_id": str(event.data["resume_id"]),
                        "read_at": event.time.isoformat()}, causation_id=event.id, allow=SETTLED)
    FLOWS.labels("resume_text").inc()
