"""`/v1/interviewers/{id}`: working hours and busy blocks."""
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.responses import resource_response

from ats.interviewers import service
from ats.interviewers.schemas import (
    BusyBlockCreate,
    BusyBlockRead,
    InterviewerPut,
    InterviewerRead,
)

router = APIRouter(prefix="/v1/interviewers", tags=["Interviewers"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
InterviewerId = Annotated[str, Path(min_length=1, max_length=254, description="The interviewer as interviews name them (email or user id; case-insensitive).")]
P = PROBLEM_ANSWER


@router.put("/{interviewer_id}", response_model=InterviewerRead, summary="Set an interviewer's availability",
            responses={201: {"description": "Created."}, 412: {"description": "Stale `If-Match`.", **P},
                       428: {"description": "Replacing needs `If-Match`.", **P}, 422: {"description": "Invalid body.", **P}})
async def put_interviewer(interviewer_id: InterviewerId, body: InterviewerPut, ctx: Writer, uow: UoW,
                          if_match: Annotated[str | None, Header(description="The calendar's `ETag` (to replace it).")] = None,
                          ) -> Response:
    """Create (201) or replace (200, needs `If-Match`) the interviewer's time zone and weekly working hours.
    Slot proposals (`GET /v1/interviews/slots`) only offer times inside every panelist's working hours."""
    me, created = await service.put(uow=uow, interviewer_id=interviewer_id, values=body.model_dump(mode="json"),
                                    if_match=if_match, ctx=ctx)
    return resource_response(InterviewerRead, me, status_code=201 if created else 200,
                             location=f"/v1/interviewers/{me.id}" if created else None)


@router.get("/{interviewer_id}", response_model=InterviewerRead, summary="Get an interviewer's availability",
            responses={404: {"description": "No availability recorded.", **P}})
async def get_interviewer(interviewer_id: InterviewerId, ctx: Reader, uow: UoW) -> Response:
    """Working hours and busy blocks; `ETag` carries the version."""
    return resource_response(InterviewerRead, await service.get(uow=uow, interviewer_id=interviewer_id))


@router.post("/{interviewer_id}/busy-blocks", status_code=201, response_model=BusyBlockRead, summary="Add a busy block",
             responses={404: {"description": "No availability recorded.", **P}, 422: {"description": "Invalid times.", **P}})
async def add_busy_block(interviewer_id: InterviewerId, body: BusyBlockCreate, ctx: Writer, uow: UoW,
                         idem: IdempotencyGuard) -> Response:
    """Time the interviewer cannot interview (a meeting, leave): no slot is proposed over it."""
    async def run() -> Response:
        block = await service.add_busy(uow=uow, interviewer_id=interviewer_id, starts_at=body.starts_at,
                                       ends_at=body.ends_at, reason=body.reason, ctx=ctx)
        return resource_response(BusyBlockRead, block, status_code=201)
    return await idem.run(run)


@router.delete("/{interviewer_id}/busy-blocks/{block_id}", response_model=InterviewerRead, summary="Remove a busy block",
               responses={404: {"description": "No such interviewer or block.", **P}})
async def remove_busy_block(interviewer_id: InterviewerId, block_id: uuid.UUID, ctx: Writer, uow: UoW) -> Response:
    """The time is free again. Returns the calendar."""
    return resource_response(InterviewerRead, await service.remove_busy(uow=uow, interviewer_id=interviewer_id,
                                                                        block_id=block_id, ctx=ctx))
