"""`/v1/messages`: what the sequences sent, and the inbound reply/bounce hooks."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from crm.sending import inbound
from crm.sending.schemas import BounceIn, MessageRead, ReplyIn, ReplyOut
from crm.sequences.clock import clock_of

router = APIRouter(prefix="/v1/messages", tags=["Messages"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER


@router.get("", response_model=Page[MessageRead], summary="List messages")
async def list_messages(ctx: Reader, uow: UoW, paging: PageQuery, enrollment_id: uuid.UUID | None = None,
                        prospect_id: uuid.UUID | None = None,
                        updated_after: Annotated[datetime | None, Query()] = None) -> dict[str, Any]:
    """Messages of sequence steps, oldest first; follow `next`."""
    return await inbound.list_messages(uow=uow, paging=paging, enrollment_id=enrollment_id, prospect_id=prospect_id,
                                       updated_after=updated_after)


@router.get("/{message_id}", response_model=MessageRead, summary="Get a message",
            responses={404: {"description": "No such message.", **P}})
async def get_message(message_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The message; a `blocked` one names its `missing_tokens`, a `failed` one its `error`."""
    return resource_response(MessageRead, await inbound.get(uow=uow, message_id=message_id))


@router.post("/{message_id}/replies", response_model=ReplyOut, summary="Record a reply",
             responses={404: {"description": "No such message.", **P}})
async def reply(message_id: uuid.UUID, body: ReplyIn, request: Request, ctx: Writer, uow: UoW,
                idem: IdempotencyGuard) -> Response:
    """A reply exits the prospect's enrollments (`reply`) and emits `crm.message.replied.v1`; an auto-reply
    (`Auto-Submitted`, out-of-office subject) does not."""
    async def run() -> Response:
        counted = await inbound.record_reply(uow=uow, message_id=message_id, headers=body.headers, subject=body.subject,
                                             from_address=None, ctx=ctx, now=clock_of(request.app).now())
        return resource_response(ReplyOut, {"counted": counted})
    return await idem.run(run)


@router.post("/{message_id}/bounce", response_model=MessageRead, summary="Record a bounce",
             responses={404: {"description": "No such message.", **P}, 409: {"description": "Not a sent email.", **P}})
async def bounce(message_id: uuid.UUID, body: BounceIn, request: Request, ctx: Writer, uow: UoW,
                 idem: IdempotencyGuard) -> Response:
    """The email bounced: suppress the address, exit enrollments (`bounced`). Emits `crm.message.bounced.v1`."""
    async def run() -> Response:
        return resource_response(MessageRead, await inbound.record_bounce(uow=uow, message_id=message_id,
                                                                          diagnostic=body.diagnostic, ctx=ctx,
                                                                          now=clock_of(request.app).now()))
    return await idem.run(run)
