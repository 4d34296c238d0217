"""Pool use cases; membership changes emit `crm.pool.member_stage_changed.v1` and land on the prospect's timeline."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.concurrency import check_if_match
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error

from crm.activities import service as activities
from crm.events import emit
from crm.pools.models import Pool, PoolMember, PoolStage
from crm.prospects.service import prospects


async def get(session: AsyncSession, pool_id: uuid.UUID, *, for_update: bool = False) -> Pool:
    stmt = select(Pool).where(Pool.id == pool_id)
    pool = (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()
    if pool is None:
        raise NotFound(f"No pool with id {pool_id}.")
    return pool


async def create(session: AsyncSession, *, name: str, description: str | None, stages: list[str],
                 sequence_id: uuid.UUID | None, ctx: RequestContext) -> Pool:
    if len({s.lower() for s in stages}) != len(stages):
        raise Unprocessable("Stage names must be unique.", errors=[field_error("stages", "duplicate stage name")])
    if (await session.execute(select(Pool.id).where(Pool.name == name))).scalar():
        raise Conflict(f"A pool named {name!r} exists.")
    pool = Pool(name=name, description=description, sequence_id=sequence_id, kind="regular", version=1,
                created_by=ctx.actor, updated_by=ctx.actor,
                stages=[PoolStage(name=s, position=i) for i, s in enumerate(stages)])
    session.add(pool)
    await session.flush()
    return pool


async def update(session: AsyncSession, pool_id: uuid.UUID, values: dict[str, Any], if_match: str | None,
                 ctx: RequestContext) -> Pool:
    pool = await get(session, pool_id, for_update=True)
    check_if_match(if_match, pool.version)
    changed = {k: v for k, v in values.items() if getattr(pool, k) != v}
    if "name" in changed and (await session.execute(select(Pool.id).where(Pool.name == changed["name"]))).scalar():
        raise Conflict(f"A pool named {changed['name']!r} exists.")
    if changed:
        for k, v in changed.items():
            setattr(pool, k, v)
        pool.version += 1
        pool.updated_at, pool.updated_by = datetime.now(UTC), ctx.actor
        await session.flush()
    return pool


async def member(session: AsyncSession, pool_id: uuid.UUID, prospect_id: uuid.UUID, *, for_update: bool = False) -> PoolMember | None:
    stmt = select(PoolMember).where(PoolMember.pool_id == pool_id, PoolMember.prospect_id == prospect_id)
    return (await session.execute(stmt.with_for_update() if for_update else stmt)).scalar_one_or_none()


async def add_member(session: AsyncSession, pool_id: uuid.UUID, prospect_id: uuid.UUID, stage_id: uuid.UUID | None,
                     ctx: RequestContext) -> PoolMember:
    """Add a prospect to a pool at a stage (default: the first); 409 when already a member."""
    pool = await get(session, pool_id)
    if (prospect := await prospects.repo.get(session, prospect_id, for_update=True)) is None:
        raise Unprocessable("No such prospect.", errors=[field_error("prospect_id", "unknown prospect")])
    prospect.ensure_writable()
    if (existing := await member(session, pool_id, prospect_id)) is not None:
        raise Conflict("The prospect is already in this pool.", current_stage_id=str(existing.stage_id))
    stage = pool.require_stage(stage_id, "stage_id") if stage_id else pool.stages[0]
    now = datetime.now(UTC)
    m = PoolMember(pool_id=pool_id, prospect_id=prospect_id, stage_id=stage.id, stage=stage, version=1,
                   added_at=now, updated_at=now, added_by=ctx.actor)
    session.add(m)
    await session.flush()
    await _stage_changed(session, ctx, pool, m, None, stage)
    return m


async def move_member(session: AsyncSession, pool_id: uuid.UUID, prospect_id: uuid.UUID, to_stage_id: uuid.UUID,
                      from_stage_id: uuid.UUID | None, ctx: RequestContext) -> PoolMember:
    pool = await get(session, pool_id)
    await prospects.writable(session, prospect_id)
    m = await member(session, pool_id, prospect_id, for_update=True)
    if m is None:
        raise NotFound("The prospect is not in this pool.")
    to = pool.require_stage(to_stage_id)
    left = m.move(to, from_stage_id)
    await session.flush()
    await _stage_changed(session, ctx, pool, m, left, to)
    return m


async def place(session: AsyncSession, pool_id: uuid.UUID, prospect_id: uuid.UUID, stage_name: str,
                ctx: RequestContext) -> PoolMember | None:
    """Put the prospect at the named stage of the pool (adding it if needed); no-op when already there or the
    pool has no such stage. Used by the flows coming from the ATS (applied, hired, silver medalist)."""
    pool = await get(session, pool_id)
    stage = pool.stage(name=stage_name)
    if stage is None:
        return None
    m = await member(session, pool_id, prospect_id, for_update=True)
    if m is None:
        return await add_member(session, pool_id, prospect_id, stage.id, ctx)
    if m.stage_id != stage.id:
        left = m.move(stage, None)
        await session.flush()
        await _stage_changed(session, ctx, pool, m, left, stage)
    return m


async def memberships(session: AsyncSession, prospect_id: uuid.UUID) -> list[PoolMember]:
    return list((await session.execute(select(PoolMember).where(PoolMember.prospect_id == prospect_id))).scalars())


async def remove_member(session: AsyncSession, pool_id: uuid.UUID, prospect_id: uuid.UUID, ctx: RequestContext) -> None:
    await prospects.writable(session, prospect_id)
    m = await member(session, pool_id, prospect_id, for_update=True)
    if m is None:
        raise NotFound("The prospect is not in this pool.")
    await session.delete(m)
    await activities.record(session, prospect_id, "pool_removed", f"Removed from pool {pool_id}", actor=ctx.actor,
                            data={"pool_id": str(pool_id)})


async def _stage_changed(session: AsyncSession, ctx: RequestContext, pool: Pool, m: PoolMember,
                         left: PoolStage | None, to: PoolStage) -> None:
    await emit(session, ctx, "crm.pool.member_stage_changed.v1", aggregate_id=m.prospect_id, sequence=m.version,
               data={"pool_id": pool.id, "pool_name": pool.name, "prospect_id": m.prospect_id,
                     "from_stage": left.ref() if left else None, "to_stage": to.ref()})
    summary = f"{pool.name}: {left.name} → {to.name}" if left else f"Added to {pool.name} at {to.name}"
    await activities.record(session, m.prospect_id, "stage_changed", summary, actor=ctx.actor,
                            data={"pool_id": str(pool.id), "from_stage": left.name if left else None, "to_stage": to.name})
