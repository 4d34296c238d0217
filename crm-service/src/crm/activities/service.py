"""Timeline use cases: append an entry (never update or delete), read the timeline, add a note."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.pagination import Paging, iso
from talentkit.uow import UnitOfWork

from crm.activities import repository
from crm.activities.models import Activity
from crm.prospects.service import prospects


async def record(*, uow: UnitOfWork, prospect_id: uuid.UUID, kind: str, summary: str, data: dict[str, Any] | None = None,
                 visibility: str = "public", actor: str | None = None, at: datetime | None = None) -> Activity:
    """Append one entry to the prospect's timeline, in the unit of work's transaction."""
    activity = Activity.entry(prospect_id=prospect_id, kind=kind, summary=summary, data=data, visibility=visibility,
                              actor=actor, at=at)
    uow.session.add(activity)
    await uow.flush()
    return activity


async def timeline(*, uow: UnitOfWork, paging: Paging, prospect_id: uuid.UUID, kind: str | None,
                   after: datetime | None, ctx: RequestContext) -> dict[str, Any]:
    """A page of what the caller may see of the prospect's timeline, oldest first."""
    await prospects.get(uow.session, prospect_id)
    return await paging.page(uow.session, repository.timeline(prospect_id, ctx.principal, kind=kind, after=after),
                             created_col=Activity.occurred_at, id_col=Activity.id,
                             filters={"kind": kind, "updated_after": iso(after)})


async def add_note(*, uow: UnitOfWork, prospect_id: uuid.UUID, body: str, visibility: str, ctx: RequestContext) -> Activity:
    """A note on the prospect's timeline (refused for an erased or merged prospect)."""
    await prospects.writable(uow.session, prospect_id)
    return await record(uow=uow, prospect_id=prospect_id, kind="note", summary=body[:200], data={"body": body},
                        visibility=visibility, actor=ctx.principal.id)
