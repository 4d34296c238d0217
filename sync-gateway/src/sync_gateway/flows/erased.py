"""Flow 8: an erasure on either side erases the other side too; a tombstone of email hashes stops the person being
silently re-imported; the link goes and the person's conflicts keep no values."""
import functools
import logging
import uuid

from shared_schemas.envelope import EventEnvelope

from sync_gateway.conflicts import repository as conflicts
from sync_gateway.flows.common import FLOWS, SETTLED, FlowContext, side_of
from sync_gateway.links import repository as links
from sync_gateway.links import tombstones
from sync_gateway.plan import Plan

log = logging.getLogger("sync_gateway.flows")
EVENTS = ("ats.candidate.erased.v1", "crm.prospect.erased.v1")
CONSENT_EXPIRED = "consent_expired"  # the CRM's reason when it anonymises a prospect whose consent lapsed
CONSENT_EXPIRED_NOTE = ("The CRM anonymised its record of this person: their consent expired without renewal. "
                        "The ATS record stays as the legal record; it is no longer linked to the CRM.")


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Bury the emails, erase the other side, drop the link."""
    side = side_of(event)
    record_id = uuid.UUID(event.data["candidate_id" if side == "ats" else "prospect_id"])
    if hashes := event.data.get("email_hashes", []):
        plan.write(functools.partial(tombstones.bury, hashes=hashes, side=side))
    link = await plan.read(links.of, side, record_id)
    if link is None:
        return
    other, other_id = ("crm", link.crm_prospect_id) if side == "ats" else ("ats", link.ats_candidate_id)
    if other_id is not None and side == "crm" and event.data.get("reason") == CONSENT_EXPIRED:
        # Flow 8: the CRM let the person go when their consent lapsed. The ATS keeps its legal record; it is told
        # (a note on the candidate) and loses its link to the CRM.
        await flow.client("ats").post(f"/v1/candidates/{other_id}/notes", {"body": CONSENT_EXPIRED_NOTE},
                                      idempotency_key=f"sync-gateway:{event.id}:unlinked", causation_id=event.id,
                                      allow=SETTLED)
    elif other_id is not None:
        collection = "/v1/prospects" if other == "crm" else "/v1/candidates"
        # 404/409/410: already gone or erased there; 422: refused (e.g. a legal hold): logged, the link still goes.
        resp = await flow.client(other).post(f"{collection}/{other_id}/erase", {"reason": f"erased in the {side.upper()}"},
                                             idempotency_key=f"sync-gateway:{event.id}:erase", causation_id=event.id,
                                             allow=SETTLED)
        if resp.status_code == 422:
            log.warning("the other side refused the erasure", extra={"side": other, "id": str(other_id)})
        flow.client(other).forget(other_id)
    plan.write(functools.partial(conflicts.erase_values, link_id=link.id))
    plan.write(functools.partial(links.remove, link_id=link.id))
    FLOWS.labels("erased").inc()
