"""Running the in-service reactions before the end of a request, when its answer must say what they did."""
from __future__ import annotations

import uuid

from talentkit.auth import RequestContext
from talentkit.uow import UnitOfWork


async def enrollments_ended_now(uow: UnitOfWork, prospect_id: uuid.UUID, ctx: RequestContext | None) -> int:
    """Run the bus over what was recorded so far (instead of at commit) and count the prospect's enrollments the
    reactions ended."""
    if uow.ctx is None:  # the request's caller stamps the events, as it would at commit
        uow.ctx = ctx
    events = await uow.publish_pending()
    return sum(1 for e in events if e.type == "crm.enrollment.exited.v1"
               and e.data["enrollment"]["prospect_id"] == str(prospect_id))
