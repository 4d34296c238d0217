"""Pool use cases; a membership joining or moving records `crm.pool.member_stage_changed.v1` and lands on the
prospect's timeline."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.pagination import Paging, iso
from talentkit.uow import UnitOfWork

from crm.activities import repository as timeline
from crm.activities import service as activities
from crm.pools import repository
from crm.pools.models import Pool, PoolMember, PoolStage
from crm.pools.velocity import velocity
from crm.prospects.service import prospects


async def get(*, uow: UnitOfWork, pool_id: uuid.UUID, for_update: bool = False) -> Pool:
    """The pool with its stages, or 404."""
    pool = await repository.get(uow.session, pool_id, for_update=for_update)
    if pool is None:
        raise NotFound(f"No pool with id {pool_id}.")
    return pool


async def list_pools(*, uow: UnitOfWork, paging: Paging, updated_after: datetime | None) -> dict[str, Any]:
    """A page of pools, oldest first."""
    return await paging.page(uow.session, repository.listing(updated_after=updated_after), created_col=Pool.created_at,
                             id_col=Pool.id, filters={"updated_after": iso(updated_after)})


async def create(*, uow: UnitOfWork, name: str, description: str | None, stages: list[str],
                 sequence_id: uuid.UUID | None, ctx: RequestContext) -> Pool:
    """A pool with its ordered stages; 409 when the name is taken."""
    if len({s.lower() for s in stages}) != len(stages):
        raise Unprocessable("Stage names must be unique.", errors=[field_error("stages", "duplicate stage name")])
    if await repository.name_taken(uow.session, name):
        raise Conflict(f"A pool named {name!r} exists.")
    pool = Pool(name=name, description=description, sequence_id=sequence_id, kind="regular", version=1,
                created_by=ctx.actor, updated_by=ctx.actor,
                stages=[PoolStage(name=s, position=i) for i, s in enumerate(stages)])
    uow.session.add(pool)
    await uow.flush()
    return pool


async def update(*, uow: UnitOfWork, pool_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> Pool:
    """Rename, describe, or set the pool's sequence, under If-Match."""
    pool = await get(uow=uow, pool_id=pool_id, for_update=True)
    check_if_match(if_match, pool.version)
    changed = {k: v for k, v in values.items() if getattr(pool, k) != v}
    if "name" in changed and await repository.name_taken(uow.session, changed["name"]):
        raise Conflict(f"A pool named {changed['name']!r} exists.")
    if changed:
        for k, v in changed.items():
            setattr(pool, k, v)
        pool.version += 1
        pool.updated_at, pool.updated_by = datetime.now(UTC), ctx.actor
        await uow.flush()
    return pool


async def list_members(*, uow: UnitOfWork, paging: Paging, pool_id: uuid.UUID, stage_id: uuid.UUID | None,
                       updated_after: datetime | None) -> dict[str, Any]:
    """A page of the pool's members in the order they were added."""
    await get(uow=uow, pool_id=pool_id)
    stmt = repository.members(pool_id, stage_id=stage_id, updated_after=updated_after)
    return await paging.page(uow.session, stmt, created_col=PoolMember.added_at, id_col=PoolMember.prospect_id,
                             filters={"stage_id": iso(stage_id), "updated_after": iso(updated_after)})


async def add_member(*, uow: UnitOfWork, pool_id: uuid.UUID, prospect_id: uuid.UUID, stage_id: uuid.UUID | None,
                     ctx: RequestContext) -> PoolMember:
    """Add a prospect to a pool at a stage (default: the first); 409 when already a member."""
    pool = await get(uow=uow, pool_id=pool_id)
    if (prospect := await prospects.repo.get(uow.session, prospect_id, for_update=True)) is None:
        raise Unprocessable("No such prospect.", errors=[field_error("prospect_id", "unknown prospect")])
    prospect.ensure_writable()
    if (existing := await repository.member(uow.session, pool_id, prospect_id)) is not None:
        raise Conflict("The prospect is already in this pool.", current_stage_id=str(existing.stage_id))
    stage = pool.require_stage(stage_id, "stage_id") if stage_id else pool.stages[0]
    m = PoolMember.join(pool, prospect_id, stage, ctx.actor)
    uow.session.add(m)
    await uow.flush()
    await _timeline(uow, pool, m, None, stage, ctx.actor)
    return m


async def move_member(*, uow: UnitOfWork, pool_id: uuid.UUID, prospect_id: uuid.UUID, to_stage_id: uuid.UUID,
                      from_stage_id: uuid.UUID | None, ctx: RequestContext) -> PoolMember:
    """Move the member to another stage of the pool (409 when `from_stage_id` no longer holds)."""
    pool = await get(uow=uow, pool_id=pool_id)
    await prospects.writable(uow.session, prospect_id)
    m = await repository.member(uow.session, pool_id, prospect_id, for_update=True)
    if m is None:
        raise NotFound("The prospect is not in this pool.")
    to = pool.require_stage(to_stage_id)
    left = m.move(pool, to, from_stage_id)
    await _timeline(uow, pool, m, left, to, ctx.actor)
    return m


async def place(*, uow: UnitOfWork, pool_id: uuid.UUID, prospect_id: uuid.UUID, stage_name: str,
                ctx: RequestContext) -> PoolMember | None:
    """Put the prospect at the named stage of the pool (adding it if needed); no-op when already there or the
    pool has no such stage. Used by the flows coming from the ATS (applied, hired)."""
    pool = await get(uow=uow, pool_id=pool_id)
    stage = pool.stage(name=stage_name)
    if stage is None:
        return None
    m = await repository.member(uow.session, pool_id, prospect_id, for_update=True)
    if m is None:
        return await add_member(uow=uow, pool_id=pool_id, prospect_id=prospect_id, stage_id=stage.id, ctx=ctx)
    if m.stage_id != stage.id:
        left = m.move(pool, stage, None)
        await _timeline(uow, pool, m, left, stage, ctx.actor)
    return m


async def remove_member(*, uow: UnitOfWork, pool_id: uuid.UUID, prospect_id: uuid.UUID, ctx: RequestContext) -> None:
    """Remove the membership (the timeline keeps the history)."""
    await prospects.writable(uow.session, prospect_id)
    m = await repository.member(uow.session, pool_id, prospect_id, for_update=True)
    if m is None:
        raise NotFound("The prospect is not in this pool.")
    await uow.session.delete(m)
    await activities.record(uow=uow, prospect_id=prospect_id, kind="pool_removed", summary=f"Removed from pool {pool_id}",
                            actor=ctx.actor, data={"pool_id": str(pool_id)})


async def follow_merge(*, uow: UnitOfWork, survivor_id: uuid.UUID, merged_id: uuid.UUID) -> None:
    """A merge: the duplicate's memberships become the survivor's, except in pools the survivor is in already."""
    kept = {m.pool_id for m in await repository.memberships(uow.session, survivor_id)}
    for m in await repository.memberships(uow.session, merged_id, for_update=True):
        if m.pool_id in kept:
            await uow.session.delete(m)
        else:
            m.prospect_id = survivor_id
    await uow.flush()


async def pipeline_velocity(*, uow: UnitOfWork, pool_id: uuid.UUID | None) -> list[dict[str, Any]]:
    """Per pool: for each pair of consecutive stages a prospect went through, the count and the median days."""
    return velocity(await timeline.stage_changes(uow.session, pool_id), await repository.names(uow.session))


async def _timeline(uow: UnitOfWork, pool: Pool, m: PoolMember, left: PoolStage | None, to: PoolStage, actor: str) -> None:
    summary = f"{pool.name}: {left.name} → {to.name}" if left else f"Added to {pool.name} at {to.name}"
    await activities.record(uow=uow, prospect_id=m.prospect_id, kind="stage_changed", summary=summary, actor=actor,
                            data={"pool_id": str(pool.id), "from_stage": left.name if left else None, "to_stage": to.name})
