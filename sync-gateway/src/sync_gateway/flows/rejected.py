"""Flow 4: an ATS rejection: the CRM timeline shows it; at a late stage (interview or later, configurable) the
person becomes a silver medalist: tagged, placed in the Silver medalists pool, enrolled in its sequence when
consent allows."""
import uuid
from typing import Any

from shared_schemas.envelope import EventEnvelope

from sync_gateway.flows.common import FLOWS, STAGE_RANK, FlowContext
from sync_gateway.plan import Plan

EVENTS = ("ats.application.rejected.v1",)
SILVER_MEDALISTS_POOL_ID = "00000000-0000-4000-8000-00000000c0de"
SILVER_TAG = "silver-medalist"


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Tell the CRM of the rejection; make a silver medalist of a late-stage one we rejected."""
    data = event.data
    application = data["application"]
    link = await flow.profiles.link_of_candidate(plan, uuid.UUID(application["candidate_id"]), event)
    if link is None or link.crm_prospect_id is None:
        return
    withdrew = data["reason"]["kind"] == "they_withdrew"
    await flow.tell_crm(event, link.crm_prospect_id, "withdrawn" if withdrew else "rejected", application,
                        detail=data["reason"]["name"])
    if withdrew or STAGE_RANK.get(data["stage"]["kind"], 0) < flow.silver_min_rank:
        return
    await make_silver_medalist(flow, event, link.crm_prospect_id)
    FLOWS.labels("silver_medalist").inc()


async def make_silver_medalist(flow: FlowContext, event: EventEnvelope, prospect_id: uuid.UUID) -> None:
    """Tag, place in the pool's `silver_medalist` stage, enroll in the pool's sequence (the CRM judges consent)."""
    got = await flow.crm.get(prospect_id)
    if got and SILVER_TAG not in got[0]["tags"]:
        await flow.crm.patch(prospect_id, {"tags": [*got[0]["tags"], SILVER_TAG]}, etag=got[1],
                             causation_id=event.id, source_time=event.time)
    pool: dict[str, Any] | None = await flow.crm.get_json(f"/v1/pools/{SILVER_MEDALISTS_POOL_ID}")
    stage = next((s for s in (pool or {}).get("stages", []) if s["name"] == "silver_medalist"), None)
    resp = await flow.crm.post(f"/v1/pools/{SILVER_MEDALISTS_POOL_ID}/members",
                               {"prospect_id": str(prospect_id), **({"stage_id": stage["id"]} if stage else {})},
                               idempotency_key=f"sync-gateway:{event.id}:silver", causation_id=event.id, allow=(409,))
    if resp.status_code == 409 and stage and resp.json().get("current_stage_id") != stage["id"]:
        await flow.crm.post(f"/v1/pools/{SILVER_MEDALISTS_POOL_ID}/members/{prospect_id}/move",
                            {"to_stage_id": stage["id"]}, idempotency_key=f"sync-gateway:{event.id}:silver-move",
                            causation_id=event.id, allow=(409,))
    if pool and pool.get("sequence_id"):
        # Consent is the CRM's to judge: it refuses (4xx) an enrollment that consent does not allow.
        await flow.crm.post(f"/v1/sequences/{pool['sequence_id']}/enrollments", {"prospect_id": str(prospect_id)},
                            idempotency_key=f"sync-gateway:{event.id}:enroll", causation_id=event.id, allow=(409, 422))
