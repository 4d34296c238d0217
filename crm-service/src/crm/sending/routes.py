"""`/v1/messages`: what the sequences sent, and the inbound reply/bounce hooks."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy import select
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from crm.sending import inbound
from crm.sending.models import Message
from crm.sending.schemas import BounceIn, MessageRead, ReplyIn, ReplyOut
from crm.sequences.clock import clock_of

router = APIRouter(prefix="/v1/messages", tags=["Messages"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = {"content": {"application/problem+json": {}}}


@router.get("", response_model=Page[MessageRead], summary="List messages")
async def list_messages(request: Request, response: Response, ctx: Reader, session: Session,
                        enrollment_id: uuid.UUID | None = None, prospect_id: uuid.UUID | None = None,
                        updated_after: Annotated[datetime | None, Query()] = None, cursor: str | None = None,
                        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Messages of sequence steps, oldest first; follow `next`."""
    stmt = select(Message)
    if enrollment_id:
        stmt = stmt.where(Message.enrollment_id == enrollment_id)
    if prospect_id:
        stmt = stmt.where(Message.prospect_id == prospect_id)
    if updated_after:
        stmt = stmt.where(Message.updated_at > updated_after)
    filters = {"enrollment_id": str(enrollment_id) if enrollment_id else None,
               "prospect_id": str(prospect_id) if prospect_id else None,
               "updated_after": updated_after.isoformat() if updated_after else None}
    rows, nxt = await paginate(session, request, response, stmt, created_col=Message.created_at, id_col=Message.id,
                               filters=filters, cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{message_id}", response_model=MessageRead, summary="Get a message",
            responses={404: {"description": "No such message.", **P}})
async def get_message(message_id: uuid.UUID, ctx: Reader, session: Session) -> Response:
    """The message; a `blocked` one names its `missing_tokens`."""
    return resource_response(MessageRead, await inbound.get(session, message_id))


@router.post("/{message_id}/replies", response_model=ReplyOut, summary="Record a reply",
             responses={404: {"description": "No such message.", **P}})
async def reply(message_id: uuid.UUID, body: ReplyIn, request: Request, ctx: Writer, session: Session,
                idem: IdempotencyGuard) -> Response:
    """A reply exits the prospect's enrollments (`replied`); an auto-reply (`Auto-Submitted`, out-of-office
    subject) does not."""
    async def run() -> Response:
        counted = await inbound.record_reply(session, message_id, body.headers, body.subject, ctx, clock_of(request.app).now())
        return resource_response(ReplyOut, {"counted": counted})
    return await idem.run(run)


@router.post("/{message_id}/bounce", response_model=MessageRead, summary="Record a bounce",
             responses={404: {"description": "No such message.", **P}, 409: {"description": "Not a sent email.", **P}})
async def bounce(message_id: uuid.UUID, body: BounceIn, request: Request, ctx: Writer, session: Session,
                 idem: IdempotencyGuard) -> Response:
    """The email bounced: suppress the address, exit enrollments (`bounced`). Emits `crm.message.bounced.v1`."""
    async def run() -> Response:
        return resource_response(MessageRead, await inbound.record_bounce(session, message_id, body.diagnostic, ctx,
                                                                          clock_of(request.app).now()))
    return await idem.run(run)
