"""Flow 1: a CRM prospect pushed to an ATS job becomes a candidate (found by email, or created under the field
policy) with an application; linked; the CRM timeline shows `applied` (its talent stage follows, sequences stop).
When the ATS refuses (the job is unknown or not open, the candidate merged away), the push's outcome goes back to
the CRM (`POST /v1/pushes/{id}/outcome`: the recruiter sees it on the push, the timeline and an alert) instead of
a dead letter nobody reads."""
import functools
import uuid
from typing import Any

from shared_schemas.envelope import EventEnvelope
from talentkit.auth import GATEWAY_PRINCIPAL

from sync_gateway.clients.peer import PeerRejected
from sync_gateway.flows.common import FLOWS, FlowContext
from sync_gateway.links import repository as links
from sync_gateway.plan import Plan
from sync_gateway.profiles.records import creation_body

EVENTS = ("crm.prospect.pushed_to_job.v1",)
REFUSALS = (409, 422)  # the ATS's answers to an application it will never accept as sent


async def refused(flow: FlowContext, event: EventEnvelope, status: int, problem: dict[str, Any]) -> None:
    """Tell the CRM the push failed and why; without a push resource (an older event) it is a dead letter."""
    reason = str(problem.get("detail") or problem.get("title") or f"The ATS answered {status}.")
    push_id = event.data.get("push_id")
    if push_id is None:
        raise PeerRejected(f"ATS refused the application: {reason}")
    fields = {e.get("field") for e in problem.get("errors") or []}
    if "job_id" in fields:
        code = "job_not_found"
    elif status == 409 and not problem.get("merged_into_id"):
        code = "job_closed"  # the job is not open (a merged-away candidate names its survivor instead)
    else:
        code = "ats_refused"
    await flow.crm.post(f"/v1/pushes/{push_id}/outcome", {"status": "failed", "code": code, "reason": reason},
                        idempotency_key=f"sync-gateway:{event.id}:push-failed", causation_id=event.id, allow=(409,))
    FLOWS.labels("push_refused").inc()


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Create (or find) the candidate and the application, link them, tell the CRM."""
    data = event.data
    prospect = data["prospect"]
    prospect_id, job_id = uuid.UUID(data["prospect_id"]), data["job_id"]
    link = await plan.read(links.of, "crm", prospect_id)
    candidate_id = str(link.ats_candidate_id) if link and link.ats_candidate_id else None
    matched_by = "explicit"
    if candidate_id is None:
        for email in prospect.get("emails", []):
            found = await flow.ats.find_by_email(email)
            if found and await plan.read(links.of, "ats", uuid.UUID(found["id"])) is None:
                # created by us: an earlier attempt at this event died after the ATS committed
                ours = found.get("created_by") == GATEWAY_PRINCIPAL
                candidate_id, matched_by = found["id"], "created_in_ats" if ours else "email"
                break
    body: dict[str, Any] = {"job_id": job_id, "source": prospect.get("source") or "crm"}
    if candidate_id:
        body["candidate_id"] = candidate_id
    else:
        policy = await flow.profiles.current_policy(plan)
        body["candidate"] = creation_body(policy, "crm", prospect, event.time)
        body["candidate"]["source"] = prospect.get("source") or "crm"
        matched_by = "created_in_ats"
    # The key names the body's shape: a retry that now finds the candidate it created sends another body.
    resp = await flow.ats.post("/v1/applications", body, idempotency_key=f"sync-gateway:{event.id}:apply:{candidate_id or 'new'}",
                               causation_id=event.id, allow=REFUSALS)
    application = resp.json()
    if resp.status_code in REFUSALS and not application.get("existing_application_id"):
        await refused(flow, event, resp.status_code, application)
        return
    if resp.status_code == 409:
        application = await flow.ats.get_json(f"/v1/applications/{application['existing_application_id']}")
    if link is None:
        plan.write(functools.partial(links.store, link=links.new(
            ats_candidate_id=uuid.UUID(application["candidate_id"]), crm_prospect_id=prospect_id,
            matched_by=matched_by, caused_by_event=event.id)))
    await flow.tell_crm(event, prospect_id, "applied", application)
    FLOWS.labels("pushed_to_job").inc()
