"""`/v1/dead-letters`: inspect, replay and discard events the gateway could not apply."""
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url
from talentkit.responses import resource_response

from sync_gateway.operations import service as dead_letter_service
from sync_gateway.operations.schemas import DeadLetterRead, LetterStatus

router = APIRouter(tags=["Operations"])
Reader = Annotated[RequestContext, Depends(require("gateway:read"))]
Admin = Annotated[RequestContext, Depends(require("gateway:admin"))]
P = PROBLEM_ANSWER


@router.get("/v1/dead-letters", response_model=Page[DeadLetterRead], summary="List dead letters")
async def list_dead_letters(request: Request, response: Response, ctx: Reader, uow: UoW,
                            status: Annotated[LetterStatus | Literal[""] | None, Query(
                                description="`open` (default), `replayed`, `discarded`; empty for all.")] = LetterStatus.open,
                            cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
                            limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Events the gateway could not apply, oldest first, with the error and how many attempts were made."""
    rows, nxt = await dead_letter_service.list_letters(uow=uow, request=request, response=response,
                                                       status=status or None, cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.post("/v1/dead-letters/{letter_id}/replay", response_model=DeadLetterRead, summary="Replay a dead letter",
             responses={404: {"description": "No such dead letter.", **P},
                        409: {"description": "Already replayed or discarded, or the record is not a CloudEvent "
                              "(nothing to send again: discard it).", **P}})
async def replay(letter_id: uuid.UUID, ctx: Admin, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Send the original event again to its topic, unchanged (same id, key, attributes and data), and mark the
    letter `replayed`; the consumer applies it once the cause is fixed (it was never marked processed). If it
    fails again it becomes a new dead letter."""
    async def run() -> Response:
        letter = await dead_letter_service.replay(uow=uow, letter_id=letter_id, ctx=ctx)
        return resource_response(DeadLetterRead, letter)
    return await idem.run(run)


@router.delete("/v1/dead-letters/{letter_id}", response_model=DeadLetterRead, summary="Discard a dead letter",
               responses={404: {"description": "No such dead letter.", **P},
                          409: {"description": "Already replayed or discarded.", **P}})
async def discard(letter_id: uuid.UUID, ctx: Admin, uow: UoW) -> Response:
    """Close a dead letter without applying it; who did it is kept (`resolved_by`)."""
    return resource_response(DeadLetterRead, await dead_letter_service.discard(uow=uow, letter_id=letter_id, ctx=ctx))

