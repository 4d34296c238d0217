"""`/v1/dead-letters`, `PUT /v1/field-policy/{field}`, `/v1/conflicts`, `/v1/resync`."""
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import or_, select

from shared_schemas.policy import DEFAULT_POLICY, OwnershipMode
from sync_gateway.conflicts.models import Conflict as ConflictRow
from sync_gateway.links.models import Link
from sync_gateway.operations import service as dead_letter_service
from sync_gateway.operations.models import FieldPolicyOverride
from sync_gateway.operations.schemas import DeadLetterRead, LetterStatus
from talentkit.auth import RequestContext, require
from talentkit.db import Session, UoW
from talentkit.errors import NotFound, Unprocessable, field_error
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

router = APIRouter(tags=["Operations"])
Reader = Annotated[RequestContext, Depends(require("gateway:read"))]
Admin = Annotated[RequestContext, Depends(require("gateway:admin"))]
P = {"content": {"application/problem+json": {}}}


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


class PolicyChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: OwnershipMode


@router.put("/v1/field-policy/{field}", summary="Change a field's ownership mode",
            responses={404: {"description": "Not a catalogued field.", **P}})
async def set_policy(field: str, body: PolicyChange, ctx: Admin, session: Session) -> dict[str, Any]:
    """Change how one field syncs from now on (audited: who, when, from which mode). Nothing already synced is
    touched; `POST /v1/resync` re-applies the policy to existing links when you want that."""
    if field not in DEFAULT_POLICY:
        raise NotFound(f"{field!r} is not in the field catalogue.")
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
    link_id: uuid.UUID
    field: str
    ats_value: Any
    crm_value: Any
    ats_time: datetime | None
    crm_time: datetime | None
    rule: str
    winner: str
    event_id: str
    created_at: datetime


@router.get("/v1/conflicts", response_model=Page[ConflictRead], summary="List resolved conflicts")
async def list_conflicts(request: Request, response: Response, ctx: Reader, session: Session,
                         candidate: Annotated[uuid.UUID | None, Query(description="An ATS candidate id.")] = None,
                         prospect: Annotated[uuid.UUID | None, Query(description="A CRM prospect id.")] = None,
                         field: str | None = None, cursor: str | None = None,
                         limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Every field where the two sides disagreed: both values, both source times, the rule applied, the winner,
    and the event that triggered the decision."""
    stmt = select(ConflictRow)
    if candidate or prospect:
        stmt = stmt.join(Link, Link.id == ConflictRow.link_id).where(or_(
            Link.ats_candidate_id == candidate if candidate else False, Link.crm_prospect_id == prospect if prospect else False))
    if field:
        stmt = stmt.where(ConflictRow.field == field)
    rows, nxt = await paginate(session, request, response, stmt, created_col=ConflictRow.created_at, id_col=ConflictRow.id,
                               filters={"candidate": str(candidate) if candidate else None,
                                        "prospect": str(prospect) if prospect else None, "field": field},
                               cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


class ResyncRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ats_candidate_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    crm_prospect_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    all: bool = Field(False, description="Every link (ignores the id lists).")


@router.post("/v1/resync", status_code=202, summary="Re-apply the field policy to existing links")
async def resync(body: ResyncRequest, request: Request, ctx: Admin, session: Session) -> dict[str, Any]:
    """Re-apply the current policy, both ways, to the chosen links (e.g. after changing a field's mode)."""
    if not (body.all or body.ats_candidate_ids or body.crm_prospect_ids):
        raise Unprocessable("Choose links to resync.", errors=[field_error("all", "give ids or all: true")])
    stmt = select(Link)
    if not body.all:
        stmt = stmt.where(or_(Link.ats_candidate_id.in_(body.ats_candidate_ids), Link.crm_prospect_id.in_(body.crm_prospect_ids)))
    links = (await session.execute(stmt)).scalars().all()
    resyncer = request.app.state.resync
    done = 0
    for link in links:
        await resyncer(session, link, ctx)
        done += 1
    return {"links_resynced": done}
