"""Merging two prospects: the duplicate's contact points, skills and tags join the survivor; it keeps only
`merged_into_id`. Its timeline, pool memberships and running enrollment follow (`crm.prospect.merged.v1` handlers)."""
from __future__ import annotations

import uuid

from talentkit.auth import RequestContext
from talentkit.errors import Unprocessable, field_error
from talentkit.uow import UnitOfWork

from crm.activities import service as activities
from crm.prospects.models import Prospect
from crm.prospects.service import prospects

UNION = ("emails", "phones", "tags", "skills", "links")


async def merge(*, uow: UnitOfWork, survivor_id: uuid.UUID, duplicate_id: uuid.UUID, ctx: RequestContext) -> Prospect:
    """Fold `duplicate_id` into `survivor_id` (the duplicate records `crm.prospect.merged.v1`)."""
    if survivor_id == duplicate_id:
        raise Unprocessable("A prospect cannot be merged into itself.", errors=[field_error("duplicate_id", "same as the survivor")])
    first, second = sorted([survivor_id, duplicate_id])  # fixed lock order: opposite merges cannot deadlock
    locked = {p.id: p for p in [await prospects.get(uow.session, first, for_update=True),
                                await prospects.get(uow.session, second, for_update=True)]}
    survivor, duplicate = locked[survivor_id], locked[duplicate_id]
    for p in (survivor, duplicate):
        p.ensure_writable()
    extra = {f: list(dict.fromkeys([*getattr(survivor, f), *getattr(duplicate, f)])) for f in UNION}
    extra = {f: v for f, v in extra.items() if v != getattr(survivor, f)}
    if extra:
        await prospects.update(uow=uow, id=survivor_id, values=extra, if_match="*", ctx=ctx)
    duplicate.merge_into(survivor, ctx.actor)
    await uow.flush()
    await activities.record(uow=uow, prospect_id=survivor_id, kind="merged", summary=f"Merged with prospect {duplicate_id}",
                            actor=ctx.principal.id, data={"merged_id": str(duplicate_id), "added": extra})
    return survivor
