"""`/v1/legal-holds`."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.holds import service
from ats.holds.schemas import LegalHoldCreate, LegalHoldRead

router = APIRouter(prefix="/v1/legal-holds", tags=["Retention"])
Officer = Annotated[RequestContext, Depends(require("ats:audit"))]
P = PROBLEM_ANSWER


@router.post("", status_code=201, response_model=LegalHoldRead, summary="Place a legal hold",
             responses={422: {"description": "Not exactly one of `candidate_id`/`job_id`, or an unknown one.", **P}})
async def place(body: LegalHoldCreate, ctx: Officer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Hold a candidate, or a job (and so everyone who applied to it): until released, retention skips them and
    erasing them is refused with a 409 naming the hold and its reason. Scope `ats:audit`."""
    async def run() -> Response:
        hold = await service.place(uow=uow, candidate_id=body.candidate_id, job_id=body.job_id, reason=body.reason,
                                   matter=body.matter, ctx=ctx)
        return resource_response(LegalHoldRead, hold, status_code=201, location=f"/v1/legal-holds/{hold.id}")
    return await idem.run(run)


@router.get("", response_model=Page[LegalHoldRead], summary="List legal holds")
async def list_holds(ctx: Officer, uow: UoW, paging: PageQuery, candidate_id: uuid.UUID | None = None,
                     job_id: uuid.UUID | None = None, active: bool | None = None) -> dict[str, Any]:
    """Holds, oldest first, filtered with AND (`active=true`: not released)."""
    return await service.list_holds(uow=uow, paging=paging, candidate_id=candidate_id, job_id=job_id, active=active)


@router.get("/{id}", response_model=LegalHoldRead, summary="Read a legal hold",
            responses={404: {"description": "No such hold.", **P}})
async def read(id: uuid.UUID, ctx: Officer, uow: UoW) -> Response:
    """One hold."""
    return resource_response(LegalHoldRead, await service.get(uow=uow, hold_id=id))


@router.post("/{id}/release", response_model=LegalHoldRead, summary="Release a legal hold",
             responses={404: {"description": "No such hold.", **P}, 409: {"description": "Already released.", **P}})
async def release(id: uuid.UUID, ctx: Officer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """End the hold: retention and erasure apply to its candidate (or job) again."""
    return await idem.run(lambda: _read(service.release(uow=uow, hold_id=id, ctx=ctx)))


async def _read(coro: Any) -> Response:
    return resource_response(LegalHoldRead, await coro)
