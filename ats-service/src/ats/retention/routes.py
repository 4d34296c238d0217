"""`/v1/retention-policies`, `/v1/retention/preview`, `/v1/retention/runs` (scope `ats:audit`)."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.clock import clock_of
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.retention import service
from ats.retention.schemas import (
    RetentionPolicyCreate,
    RetentionPolicyRead,
    RetentionPolicyUpdate,
    RetentionPreview,
    RetentionRunRead,
)

policies = APIRouter(prefix="/v1/retention-policies", tags=["Retention"])
retention = APIRouter(prefix="/v1/retention", tags=["Retention"])
Officer = Annotated[RequestContext, Depends(require("ats:audit"))]
P = PROBLEM_ANSWER


@policies.post("", status_code=201, response_model=RetentionPolicyRead, summary="Define a retention policy",
               responses={409: {"description": "That office, jurisdiction or the default has a policy already.", **P},
                          422: {"description": "Invalid body, e.g. under two years for a federal contractor.", **P}})
async def define(body: RetentionPolicyCreate, ctx: Officer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """A policy for one office, one jurisdiction, or (neither) the default. A candidate falls under the policy of
    each job they applied to (office first, then jurisdiction, then the default) and is kept as long as the
    longest of them says."""
    async def run() -> Response:
        policy = await service.define(uow=uow, values=body.model_dump(), ctx=ctx)
        return resource_response(RetentionPolicyRead, policy, status_code=201, location=f"/v1/retention-policies/{policy.id}")
    return await idem.run(run)


@policies.get("", response_model=Page[RetentionPolicyRead], summary="List retention policies")
async def list_policies(ctx: Officer, uow: UoW, paging: PageQuery) -> dict[str, Any]:
    """Every policy, oldest first."""
    return await service.list_policies(uow=uow, paging=paging)


@policies.get("/{id}", response_model=RetentionPolicyRead, summary="Read a retention policy",
              responses={404: {"description": "No such policy.", **P}})
async def read(id: uuid.UUID, ctx: Officer, uow: UoW) -> Response:
    """One policy, with its `ETag`."""
    return resource_response(RetentionPolicyRead, await service.get(uow=uow, policy_id=id))


@policies.patch("/{id}", response_model=RetentionPolicyRead, summary="Change a retention policy",
                responses={404: {"description": "No such policy.", **P}, 412: {"description": "Stale `If-Match`.", **P},
                           422: {"description": "Invalid change.", **P}, 428: {"description": "`If-Match` missing.", **P}})
async def change(id: uuid.UUID, body: RetentionPolicyUpdate, ctx: Officer, uow: UoW,
                 if_match: Annotated[str | None, Header()] = None) -> Response:
    """Change a policy (`If-Match` needed); the next retention run applies it."""
    policy = await service.change(uow=uow, policy_id=id, values=body.model_dump(exclude_unset=True), if_match=if_match, ctx=ctx)
    return resource_response(RetentionPolicyRead, policy)


@policies.delete("/{id}", status_code=204, summary="Delete a retention policy",
                 responses={404: {"description": "No such policy.", **P}})
async def retire(id: uuid.UUID, ctx: Officer, uow: UoW) -> Response:
    """Remove a policy."""
    await service.retire(uow=uow, policy_id=id, ctx=ctx)
    return Response(status_code=204)


@retention.get("/preview", response_model=RetentionPreview, summary="Dry run of retention")
async def preview(request: Request, ctx: Officer, uow: UoW,
                  as_of: Annotated[datetime | None, Query(description="Default: now. A later time shows what "
                                                                      "will be due by then.")] = None) -> dict[str, Any]:
    """Who retention would anonymise or minimise at `as_of`, and since when each is due; changes nothing.
    Candidates under legal hold are listed with the holds that keep them."""
    at = as_of or clock_of(request.app).now()
    return {"as_of": at, "data": await service.preview(uow=uow, as_of=at)}


@retention.post("/runs", status_code=201, response_model=RetentionRunRead, summary="Run retention now")
async def run_now(request: Request, ctx: Officer) -> Any:
    """Apply retention now instead of waiting for the schedule (it runs every `ATS_RETENTION_INTERVAL_SECONDS`).
    Each candidate is handled in its own transaction: a run that stops half-way is continued by the next."""
    return await service.run(factory=request.app.state.uow_factory, clock=clock_of(request.app), trigger="manual", ctx=ctx)


@retention.get("/runs", response_model=Page[RetentionRunRead], summary="List retention runs")
async def list_runs(ctx: Officer, uow: UoW, paging: PageQuery) -> dict[str, Any]:
    """Every run (scheduled or manual), oldest first, with what it did."""
    return await service.list_runs(uow=uow, paging=paging)
