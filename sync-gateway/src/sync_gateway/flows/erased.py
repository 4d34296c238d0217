"""Flow 8: an erasure on either side erases the other side too; a tombstone of email hashes stops the person being
silently re-imported; the link goes, the person's conflicts keep no values, and the gateway's own copies of them
(webhook deliveries, dead letters) go too: whatever started the erasure (a recruiter, the ATS retention job, the
CRM's consent expiry or a data-subject request), the gateway must not be where the person lives on."""
import functools
import logging
import uuid

import httpx
from shared_schemas.envelope import EventEnvelope

from sync_gateway.conflicts import repository as conflicts
from sync_gateway.flows.common import FLOWS, SETTLED, FlowContext, side_of
from sync_gateway.links import repository as links
from sync_gateway.links import tombstones
from sync_gateway.plan import Plan
from sync_gateway.subject_requests import repository as subject_data
from sync_gateway.webhooks import repository as webhooks

log = logging.getLogger("sync_gateway.flows")
EVENTS = ("ats.candidate.erased.v1", "crm.prospect.erased.v1")
CONSENT_EXPIRED = "consent_expired"  # the CRM's reason when it anonymises a prospect whose consent lapsed
CONSENT_EXPIRED_NOTE = ("The CRM anonymised its record of this person: their consent expired without renewal. "
                        "The ATS record stays as the legal record; it is no longer linked to the CRM.")


async def carry(flow: FlowContext, plan: Plan, event: EventEnvelope) -> None:
    """Bury the emails, erase the other side, drop the link, forget the deliveries and dead letters about them."""
    side = side_of(event)
    record_id = uuid.UUID(event.data["candidate_id" if side == "ats" else "prospect_id"])
    if hashes := event.data.get("email_hashes", []):
        plan.write(functools.partial(tombstones.bury, hashes=hashes, side=side))
    link = await plan.read(links.of, side, record_id)
    people = [str(record_id)]
    if link is None:
        _forget_copies(plan, people)
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
        # 404/409/410: already gone or erased there; 422 or a 409 naming a legal hold: refused, logged, the link
        # still goes. Only an other side that is gone has its copies forgotten here: its own erased event is an echo
        # of our call, which the consumer drops.
        resp = await flow.client(other).post(f"{collection}/{other_id}/erase", {"reason": f"erased in the {side.upper()}"},
                                             idempotency_key=f"sync-gateway:{event.id}:erase", causation_id=event.id,
                                             allow=SETTLED)
        if _refused(resp):
            log.warning("the other side refused the erasure", extra={"side": other, "id": str(other_id)})
        else:
            people.append(str(other_id))
        flow.client(other).forget(other_id)
    _forget_copies(plan, people)
    plan.write(functools.partial(conflicts.erase_values, link_id=link.id))
    plan.write(functools.partial(links.remove, link_id=link.id))
    FLOWS.labels("erased").inc()


def _forget_copies(plan: Plan, people: list[str]) -> None:
    """The same forgetting as a data-subject request's, in the flow's effects transaction."""
    plan.write(functools.partial(webhooks.forget_deliveries, person_ids=people))
    plan.write(functools.partial(subject_data.forget_dead_letters, person_ids=people))


def _refused(resp: httpx.Response) -> bool:
    """The other side kept the person: a 422, or a 409 that names a legal hold (not "already erased")."""
    if resp.status_code == 422:
        return True
    if resp.status_code != 409:
        return False
    try:
        return resp.json().get("reason") == "legal_hold"
    except ValueError:
        return False
