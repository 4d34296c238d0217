"""`/v1/pools` and their members."""
import uuid
from collections.abc import Awaitable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from crm.pools import service
from crm.pools.models import Pool, PoolMember
from crm.pools.schemas import (
    MemberAdd,
    MemberMove,
    MemberRead,
    PoolCreate,
    PoolRead,
    PoolUpdate,
    PoolVelocity,
)

router = APIRouter(prefix="/v1/pools", tags=["Talent pools"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER
GONE: Responses = {410: {"description": "The prospect was erased.", **P}}


async def _pool(coro: Awaitable[Pool], status_code: int = 200) -> Response:
    pool = await coro
    return resource_response(PoolRead, pool, status_code=status_code,
                             location=f"/v1/pools/{pool.id}" if status_code == 201 else None)


async def _member(coro: Awaitable[PoolMember], status_code: int = 200) -> Response:
    return resource_response(MemberRead, await coro, status_code=status_code)


@router.post("", status_code=201, response_model=PoolRead, summary="Create a pool",
             responses={409: {"description": "A pool with this name exists.", **P}})
async def create_pool(body: PoolCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """A pool with its own ordered talent stages (default: identified … not_interested)."""
    return await idem.run(lambda: _pool(service.create(uow=uow, name=body.name, description=body.description,
                                                       stages=body.stages, sequence_id=body.sequence_id, ctx=ctx), 201))


@router.get("", response_model=Page[PoolRead], summary="List pools")
async def list_pools(ctx: Reader, uow: UoW, paging: PageQuery, updated_after: datetime | None = None) -> dict[str, Any]:
    """Pools, oldest first (the built-in Silver medalists pool included)."""
    return await service.list_pools(uow=uow, paging=paging, updated_after=updated_after)


@router.get("/{pool_id}", response_model=PoolRead, summary="Get a pool", responses={404: {"description": "No such pool.", **P}})
async def get_pool(pool_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The pool with its stages."""
    return await _pool(service.get(uow=uow, pool_id=pool_id))


@router.patch("/{pool_id}", response_model=PoolRead, summary="Update a pool",
              responses={412: {"description": "Stale `If-Match`.", **P}, 428: {"description": "`If-Match` missing.", **P}})
async def update_pool(pool_id: uuid.UUID, body: PoolUpdate, ctx: Writer, uow: UoW,
                      if_match: Annotated[str | None, Header()] = None) -> Response:
    """Rename, describe, or set the pool's nurture sequence. Needs `If-Match`."""
    return await _pool(service.update(uow=uow, pool_id=pool_id, values=body.model_dump(exclude_unset=True),
                                      if_match=if_match, ctx=ctx))


@router.post("/{pool_id}/members", status_code=201, response_model=MemberRead, summary="Add a prospect to a pool",
             responses={409: {"description": "Already a member, or the prospect was merged.", **P},
                        422: {"description": "Unknown prospect or stage.", **P}, **GONE})
async def add_member(pool_id: uuid.UUID, body: MemberAdd, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Add a prospect at a stage (default: the first). Emits `crm.pool.member_stage_changed.v1`."""
    return await idem.run(lambda: _member(service.add_member(uow=uow, pool_id=pool_id, prospect_id=body.prospect_id,
                                                             stage_id=body.stage_id, ctx=ctx), 201))


@router.get("/{pool_id}/members", response_model=Page[MemberRead], summary="List a pool's members")
async def list_members(pool_id: uuid.UUID, ctx: Reader, uow: UoW, paging: PageQuery, stage_id: uuid.UUID | None = None,
                       updated_after: datetime | None = None) -> dict[str, Any]:
    """Members in the order they were added; filter by stage."""
    return await service.list_members(uow=uow, paging=paging, pool_id=pool_id, stage_id=stage_id,
                                      updated_after=updated_after)


@router.post("/{pool_id}/members/{prospect_id}/move", response_model=MemberRead, summary="Move a member to another stage",
             responses={404: {"description": "Not a member.", **P},
                        409: {"description": "Not in `from_stage_id` any more, or already there.", **P}, **GONE})
async def move_member(pool_id: uuid.UUID, prospect_id: uuid.UUID, body: MemberMove, ctx: Writer, uow: UoW,
                      idem: IdempotencyGuard) -> Response:
    """Move the prospect to another talent stage of this pool. Emits `crm.pool.member_stage_changed.v1`."""
    return await idem.run(lambda: _member(service.move_member(uow=uow, pool_id=pool_id, prospect_id=prospect_id,
                                                              to_stage_id=body.to_stage_id,
                                                              from_stage_id=body.from_stage_id, ctx=ctx)))


@router.delete("/{pool_id}/members/{prospect_id}", status_code=204, summary="Remove a prospect from a pool",
               responses={404: {"description": "Not a member.", **P}, **GONE})
async def remove_member(pool_id: uuid.UUID, prospect_id: uuid.UUID, ctx: Writer, uow: UoW) -> None:
    """Remove the membership (the prospect's timeline keeps the history)."""
    await service.remove_member(uow=uow, pool_id=pool_id, prospect_id=prospect_id, ctx=ctx)


reports = APIRouter(prefix="/v1/reports", tags=["Talent pools"])


@reports.get("/pipeline-velocity", response_model=list[PoolVelocity], summary="Pipeline velocity per pool")
async def pipeline_velocity(ctx: Reader, uow: UoW, pool_id: uuid.UUID | None = None) -> list[dict[str, Any]]:
    """Median days between consecutive talent stages, per pool (all pools, or one), from the stage history."""
    return await service.pipeline_velocity(uow=uow, pool_id=pool_id)
