"""Flow 1: a CRM prospect pushed to an ATS job becomes a candidate (found by email, or created under the field
policy) with an application; linked; the CRM timeline shows `applied` (its talent stage follows, sequences stop)."""
import uuid
from typing import Any

from shared_schemas.envelope import EventEnvelope
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import GATEWAY_PRINCIPAL

from sync_gateway.clients.peer import PeerRejected
from sync_gateway.flows.common import FLOWS, FlowContext
from sync_gateway.links import repository as links
from sync_gateway.profiles.records import creation_body

EVENTS = ("crm.prospect.pushed_to_job.v1",)


async def carry(flow: FlowContext, session: AsyncSession, event: EventEnvelope) -> None:
    """Create (or find) the candidate and the application, link them, tell the CRM."""
    data = event.data
    prospect = data["prospect"]
    prospect_id, job_id = uuid.UUID(data["prospect_id"]), data["job_id"]
    link = await links.by_side(session, "crm", prospect_id)
    candidate_id = str(link.ats_candidate_id) if link and link.ats_candidate_id else None
    matched_by = "explicit"
    if candidate_id is None:
        for email in prospect.get("emails", []):
            found = await flow.ats.find_by_email(email)
            if found and await links.by_side(session, "ats", uuid.UUID(found["id"])) is None:
                # created by us: an earlier attempt at this event died after the ATS committed
                ours = found.get("created_by") == GATEWAY_PRINCIPAL
                candidate_id, matched_by = found["id"], "created_in_ats" if ours else "email"
                break
    body: dict[str, Any] = {"job_id": job_id, "source": prospect.get("source") or "crm"}
    if candidate_id:
        body["candidate_id"] = candidate_id
    else:
        policy = await flow.profiles.policy.current(session)
        body["candidate"] = creation_body(policy, "crm", prospect, event.time)
        body["candidate"]["source"] = prospect.get("source") or "crm"
        matched_by = "created_in_ats"
    # The key names the body's shape: a retry that now finds the candidate it created sends another body.
    resp = await flow.ats.post("/v1/applications", body, idempotency_key=f"sync-gateway:{event.id}:apply:{candidate_id or 'new'}",
                               causation_id=event.id, allow=(409,))
    application = resp.json()
    if resp.status_code == 409:
        if not application.get("existing_application_id"):
            raise PeerRejected(f"ATS refused the application: {application.get('detail')}")
        application = await flow.ats.get_json(f"/v1/applications/{application['existing_application_id']}")
    if link is None:
        await links.add(session, ats_candidate_id=uuid.UUID(application["candidate_id"]), crm_prospect_id=prospect_id,
                        matched_by=matched_by, caused_by_event=event.id)
    await flow.tell_crm(event, prospect_id, "applied", application)
    FLOWS.labels("pushed_to_job").inc()
