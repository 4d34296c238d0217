"""`/v1/dead-letters`: inspect, replay and discard events the gateway could not apply."""
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.errors import Conflict, NotFound
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from sync_gateway.operations.models import DeadLetter

router = APIRouter(tags=["Operations"])
Reader = Annotated[RequestContext, Depends(require("gateway:read"))]
Admin = Annotated[RequestContext, Depends(require("gateway:admin"))]
P = {"content": {"application/problem+json": {}}}


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    consumer: str
    topic: str
    partition: int
    offset: int
    event_id: str | None
    event_type: str | None
    headers: list[list[str]]
    value: str | None = Field(description="The record's value as text (as it was on the topic).")
    error: str
    attempts: int
    status: str = Field(description="open, replayed or discarded.")
    resolved_by: str | None
    created_at: datetime
    updated_at: datetime


def _dl(row: DeadLetter) -> dict[str, Any]:
    out = {c: getattr(row, c) for c in DeadLetterRead.model_fields if c != "value"}
    out["value"] = row.value.decode(errors="replace") if row.value is not None else None
    return out


@router.get("/v1/dead-letters", response_model=Page[DeadLetterRead], summary="List dead letters")
async def list_dead_letters(request: Request, response: Response, ctx: Reader, session: Session,
                            status: str | None = Query("open", description="open, replayed, discarded; empty for all."),
                            cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Events the gateway could not apply, with the error and how many attempts were made."""
    stmt = select(DeadLetter)
    if status:
        stmt = stmt.where(DeadLetter.status == status)
    rows, nxt = await paginate(session, request, response, stmt, created_col=DeadLetter.created_at, id_col=DeadLetter.id,
                               filters={"status": status}, cursor=cursor, limit=limit)
    return {"data": [_dl(r) for r in rows], "next_cursor": nxt, "next": next_url(request, response)}


async def _open_letter(session: Any, letter_id: uuid.UUID) -> DeadLetter:
    row = (await session.execute(select(DeadLetter).where(DeadLetter.id == letter_id).with_for_update())).scalar_one_or_none()
    if row is None:
        raise NotFound("No such dead letter.")
    if row.status != "open":
        raise Conflict(f"The dead letter is already {row.status}.")
    return row


@router.post("/v1/dead-letters/{letter_id}/replay", response_model=DeadLetterRead, summary="Replay a dead letter",
             responses={409: {"description": "Already replayed or discarded.", **P}})
async def replay(letter_id: uuid.UUID, request: Request, ctx: Admin, session: Session, idem: IdempotencyGuard) -> Response:
    """Publish the original record again to its topic (same key, headers and value); the consumer applies it once
    the cause is fixed (it was never marked processed)."""
    async def run() -> Response:
        row = await _open_letter(session, letter_id)
        producer = AIOKafkaProducer(bootstrap_servers=request.app.state.settings.kafka_bootstrap_servers,
                                    enable_idempotence=True, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(row.topic, value=row.value, key=row.key,
                                         headers=[(k, v.encode()) for k, v in row.headers])
        finally:
            await producer.stop()
        row.status, row.resolved_by, row.updated_at = "replayed", ctx.actor, datetime.now(UTC)
        return resource_response(DeadLetterRead, _dl(row))
    return await idem.run(run)


@router.delete("/v1/dead-letters/{letter_id}", response_model=DeadLetterRead, summary="Discard a dead letter",
               responses={409: {"description": "Already replayed or discarded.", **P}})
async def discard(letter_id: uuid.UUID, ctx: Admin, session: Session) -> Response:
    """Close a dead letter without applying it; who did it is kept (`resolved_by`)."""
    row = await _open_letter(session, letter_id)
    row.status, row.resolved_by, row.updated_at = "discarded", ctx.actor, datetime.now(UTC)
    return resource_response(DeadLetterRead, _dl(row))
