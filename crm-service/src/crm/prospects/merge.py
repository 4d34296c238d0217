"""Merging two prospects: the duplicate's contact points, skills and tags join the survivor; its timeline,
pool memberships and running enrollment move over (unless the survivor has its own); it keeps `merged_into_id`."""
from __future__ import annotations

import uuid

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.errors import Unprocessable, field_error

from crm.activities import service as activities
from crm.activities.models import Activity
from crm.events import emit
from crm.pools.models import PoolMember
from crm.prospects.models import Prospect
from crm.prospects.service import prospects

UNION = ("emails", "phones", "tags", "skills", "links")


async def merge(session: AsyncSession, survivor_id: uuid.UUID, duplicate_id: uuid.UUID, ctx: RequestContext) -> Prospect:
    """Fold `duplicate_id` into `survivor_id`. Emits `crm.prospect.merged.v1` (keyed by the duplicate)."""
    from crm.enrollments.service import exit_all, running_for

    if survivor_id == duplicate_id:
        raise Unprocessable("A prospect cannot be merged into itself.", errors=[field_error("duplicate_id", "same as the survivor")])
    first, second = sorted([survivor_id, duplicate_id])  # fixed lock order: opposite merges cannot deadlock
    locked = {p.id: p for p in [await prospects.get(session, first, for_update=True), await prospects.get(session, second, for_update=True)]}
    survivor, duplicate = locked[survivor_id], locked[duplicate_id]
    for p in (survivor, duplicate):
        p.ensure_writable()
    extra = {f: list(dict.fromkeys([*getattr(survivor, f), *getattr(duplicate, f)])) for f in UNION}
    extra = {f: v for f, v in extra.items() if v != getattr(survivor, f)}
    if extra:
        await prospects.update(session, survivor_id, extra, if_match="*", ctx=ctx)
    await session.execute(update(Activity).where(Activity.prospect_id == duplicate_id).values(prospect_id=survivor_id))
    survivor_pools = set((await session.execute(select(PoolMember.pool_id).where(PoolMember.prospect_id == survivor_id))).scalars())
    for m in (await session.execute(select(PoolMember).where(PoolMember.prospect_id == duplicate_id))).scalars():
        if m.pool_id in survivor_pools:
            await session.delete(m)
        else:
            m.prospect_id = survivor_id
    if await running_for(session, survivor_id):
        await exit_all(session, duplicate_id, "merged", ctx)
    else:
        for e in await running_for(session, duplicate_id, for_update=True):
            e.prospect_id = survivor_id
    duplicate.merged_into_id, duplicate.status = survivor_id, "merged"
    duplicate.version += 1
    await session.flush()
    await emit(session, ctx, "crm.prospect.merged.v1", aggregate_id=duplicate_id, sequence=duplicate.version,
               data={"survivor_id": survivor_id, "merged_id": duplicate_id, "prospect": survivor.snapshot()})
    await activities.record(session, survivor_id, "merged", f"Merged with prospect {duplicate_id}", actor=ctx.principal.id,
                            data={"merged_id": str(duplicate_id), "added": extra})
    return survivor
