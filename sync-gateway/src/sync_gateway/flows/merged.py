"""Flow 7: a merge on either side re-points the link to the survivor; when both people were linked, the other side
merges too (its survivor is the survivor's partner), so one person never has two links. The merged link's
conflicts follow the survivor's."""
import logging
import uuid

from shared_schemas.envelope import EventEnvelope
from sqlalchemy.ext.asyncio import AsyncSession

from sync_gateway.conflicts import repository as conflicts
from sync_gateway.flows.common import FLOWS, SETTLED, FlowContext, side_of
from sync_gateway.links import repository as links

log = logging.getLogger("sync_gateway.flows")
EVENTS = ("ats.candidate.merged.v1", "crm.prospect.merged.v1")


async def carry(flow: FlowContext, session: AsyncSession, event: EventEnvelope) -> None:
    """Re-point or fold the links; merge the other side when both were linked."""
    side = side_of(event)
    other = "crm" if side == "ats" else "ats"
    survivor_id, merged_id = uuid.UUID(event.data["survivor_id"]), uuid.UUID(event.data["merged_id"])
    merged_link = await links.by_side(session, side, merged_id)
    if merged_link is None:
        return
    survivor_link = await links.by_side(session, side, survivor_id)
    if survivor_link is None:
        if side == "ats":
            merged_link.ats_candidate_id = survivor_id
        else:
            merged_link.crm_prospect_id = survivor_id
        await session.flush()
        FLOWS.labels("merge_repointed").inc()
        return
    keep = survivor_link.crm_prospect_id if side == "ats" else survivor_link.ats_candidate_id
    fold = merged_link.crm_prospect_id if side == "ats" else merged_link.ats_candidate_id
    await conflicts.move(session, from_link=merged_link.id, to_link=survivor_link.id)
    await links.delete(session, merged_link)
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
