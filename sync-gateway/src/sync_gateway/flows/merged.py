"""Flow 7: a merge on either side re-points the link to the survivor; when both people were linked, the other side
merges too (its survivor is the survivor's partner), so one person never has two links. The merged link's
conflicts follow the survivor's."""
import functools
import logging
import uuid

from shared_schemas.envelope import EventEnvelope

from sync_gateway.conflicts import repository as conflicts
from sync_gateway.flows.common import FLOWS, SETTLED, FlowContext, side_of
from sync_gateway.links import repository as links
from sync_gateway.plan import Plan

log = logging.getLogger("sync_gateway.flows")
EVENTS = ("ats.candidate.merged.v1", "crm.prospect.merged.v1")


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Re-point or fold the links; merge the other side when both were linked."""
    side = side_of(event)
    other = "crm" if side == "ats" else "ats"
    survivor_id, merged_id = uuid.UUID(event.data["survivor_id"]), uuid.UUID(event.data["merged_id"])
    merged_link = await plan.read(links.of, side, merged_id)
    if merged_link is None:
        return
    survivor_link = await plan.read(links.of, side, survivor_id)
    if survivor_link is None:
        plan.write(functools.partial(links.repoint, link_id=merged_link.id, side=side, record_id=survivor_id))
        FLOWS.labels("merge_repointed").inc()
        return
    keep = survivor_link.crm_prospect_id if side == "ats" else survivor_link.ats_candidate_id
    fold = merged_link.crm_prospect_id if side == "ats" else merged_link.ats_candidate_id
    plan.write(functools.partial(conflicts.move, from_link=merged_link.id, to_link=survivor_link.id))
    plan.write(functools.partial(links.remove, link_id=merged_link.id))
    if keep and fold and keep != fold:
        collection = "/v1/prospects" if other == "crm" else "/v1/candidates"
        # Whatever the other side answers (already merged, gone, erased, refused), the link is re-pointed.
        resp = await flow.client(other).post(f"{collection}/{keep}/merge", {"duplicate_id": str(fold)},
                                             idempotency_key=f"sync-gateway:{event.id}:merge", causation_id=event.id,
                                             allow=SETTLED)
        if resp.status_code in SETTLED:
            log.warning("the other side refused the merge; its two records stay, only the survivor stays linked",
                        extra={"side": other, "keep": str(keep), "fold": str(fold), "status": resp.status_code})
    FLOWS.labels("merge_propagated").inc()
