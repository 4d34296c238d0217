"""Flow 5: a new ATS job opens: the CRM finds matching silver medalists and past prospects and alerts the job's
recruiter."""
from shared_schemas.envelope import EventEnvelope

from sync_gateway.flows.common import FLOWS, FlowContext
from sync_gateway.plan import Plan

EVENTS = ("ats.job.opened.v1",)


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Ask the CRM to rediscover people for the job."""
    job = event.data["job"]
    await flow.crm.post("/v1/rediscovery/job-openings",
                        {"job_id": job["id"], "title": job["title"], "location": job.get("location"),
                         "recruiter": job.get("recruiter"), "description": job.get("description"),
                         "requirements": job.get("requirements")},
                        idempotency_key=f"sync-gateway:{event.id}:rediscover", causation_id=event.id)
    FLOWS.labels("job_opened").inc()
