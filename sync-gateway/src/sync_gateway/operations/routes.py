"""`/v1/dead-letters`, `PUT /v1/field-policy/{field}`, `/v1/conflicts`."""
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from aiokafka import AIOKafkaProducer
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from shared_schemas.policy import DEFAULT_POLICY, Carrier, OwnershipMode
from sqlalchemy import select
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from sync_gateway.conflicts import repository as conflicts_repository
from sync_gateway.conflicts.models import Conflict as ConflictRow
from sync_gateway.operations.models import DeadLetter, FieldPolicyOverride

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


class PolicyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: OwnershipMode


@router.put("/v1/field-policy/{field}", summary="Change a field's ownership mode",
            responses={404: {"description": "Not a catalogued field.", **P},
                       422: {"description": "A mode that does not fit the field (`errors` names `mode`).", **P}})
async def set_policy(field: str, body: PolicyChange, ctx: Admin, session: Session) -> dict[str, Any]:
    """Change how one field syncs from now on (audited: who, when, from which mode). Nothing already synced is
    touched; `POST /v1/resync` re-applies the policy to existing links when you want that.

    The mode must fit the field (see `allowed_modes` in `GET /v1/field-policy`): `union` only for list fields
    (emails, phones, tags), `two_way` and `prefer_*_unless_blank` only for single values; fields carried by the
    business flows or never synced by design keep their mode. Creating a person on the other side always carries
    the fields every person needs there (`first_name`, `last_name`), whatever their mode: the mode governs every
    other field of a creation and every change afterwards, so no mode can make creations impossible."""
    if field not in DEFAULT_POLICY:
        raise NotFound(f"{field!r} is not in the field catalogue.")
    spec = DEFAULT_POLICY[field]
    if body.mode not in spec.allowed_modes:
        allowed = ", ".join(m.value for m in spec.allowed_modes)
        why = (f"{field} keeps its mode ({spec.why})" if spec.carried_by is not Carrier.PROFILE
               else f"{body.mode.value} does not fit a {spec.kind.value} field")
        raise Unprocessable(f"{why}; allowed: {allowed}.", errors=[field_error("mode", f"{why}; allowed: {allowed}")])
    row = (await session.execute(select(FieldPolicyOverride).where(FieldPolicyOverride.field == field).with_for_update())).scalar_one_or_none()
    before = row.mode if row else DEFAULT_POLICY[field].mode.value
    entry = {"at": datetime.now(UTC).isoformat(), "by": ctx.actor, "from": before, "to": body.mode.value}
    if row is None:
        row = FieldPolicyOverride(field=field, mode=body.mode.value, version=1, updated_by=ctx.actor, history=[entry])
        session.add(row)
    else:
        row.mode, row.version, row.updated_by = body.mode.value, row.version + 1, ctx.actor
        row.updated_at, row.history = datetime.now(UTC), [*row.history, entry]
    return {"field": field, "mode": body.mode.value, "previous_mode": before, "changed_by": ctx.actor, "history": row.history}


class ConflictRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    link_id: uuid.UUID | None = Field(description="Null once the person was erased or merged away.")
    field: str
    ats_value: Any
    crm_value: Any
    ats_time: datetime | None
    crm_time: datetime | None
    rule: str
    winner: str
    event_id: str
    created_at: datetime
    values_erased_at: datetime | None = Field(None, description="When the person was erased: both values were removed.")


@router.get("/v1/conflicts", response_model=Page[ConflictRead], summary="List resolved conflicts")
async def list_conflicts(request: Request, response: Response, ctx: Reader, session: Session,
                         candidate: Annotated[uuid.UUID | None, Query(description="An ATS candidate id.")] = None,
                         prospect: Annotated[uuid.UUID | None, Query(description="A CRM prospect id.")] = None,
                         field: str | None = None, cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Every value the field policy overrode: a `two_way` edit that lost to a later one, a change a one-way or
    `prefer_*_unless_blank` rule did not carry, a value of one side that a sync wrote over. Each with both values,
    both source times, the rule applied, the winner and the event that triggered the decision. A standing
    difference is listed once. An erased person's conflicts stay without their values (`values_erased_at`)."""
    stmt = conflicts_repository.listing(candidate=candidate, prospect=prospect, field=field)
    rows, nxt = await paginate(session, request, response, stmt, created_col=ConflictRow.created_at, id_col=ConflictRow.id,
                               filters={"candidate": str(candidate) if candidate else None,
                                        "prospect": str(prospect) if prospect else None, "field": field},
                               cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}
