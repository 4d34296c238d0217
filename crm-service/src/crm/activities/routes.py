"""`/v1/prospects/{id}/activities` (the timeline) and `/v1/prospects/{id}/notes`."""
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import or_, select
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from crm.activities import service
from crm.activities.models import Activity
from crm.prospects.service import prospects

router = APIRouter(prefix="/v1/prospects/{prospect_id}", tags=["Timeline and notes"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    prospect_id: uuid.UUID
    kind: str = Field(description="message_sent, message_opened, message_clicked, message_replied, page_visit, "
                                  "stage_changed, note, applied, hired, pushed_to_job, …")
    visibility: str = Field(description="`public`, or `private` (only its author sees it).")
    summary: str
    data: dict[str, Any]
    actor: str | None
    occurred_at: datetime


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
    visibility: Literal["public", "private"] = "public"


def _visible(ctx: RequestContext):  # type: ignore[no-untyped-def]
    return or_(Activity.visibility == "public", Activity.actor == ctx.principal.id) if not ctx.principal.has("*") else True


async def _timeline(request: Request, response: Response, ctx: RequestContext, session: Any, prospect_id: uuid.UUID,
                    kind: str | None, after: datetime | None, cursor: str | None, limit: int) -> dict[str, Any]:
    await prospects.get(session, prospect_id)
    stmt = select(Activity).where(Activity.prospect_id == prospect_id, _visible(ctx))
    if kind:
        stmt = stmt.where(Activity.kind == kind)
    if after:
        stmt = stmt.where(Activity.occurred_at > after)
    rows, nxt = await paginate(session, request, response, stmt, created_col=Activity.occurred_at, id_col=Activity.id,
                               filters={"kind": kind, "updated_after": after.isoformat() if after else None},
                               cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/activities", response_model=Page[ActivityRead], summary="The prospect's timeline")
async def list_activities(prospect_id: uuid.UUID, request: Request, response: Response, ctx: Reader, session: Session,
                          kind: str | None = None,
                          updated_after: Annotated[datetime | None, Query(description="Only activities after this time.")] = None,
                          cursor: str | None = None, limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Everything that happened with the prospect, oldest first (append-only): messages and their opens, clicks and
    replies, page visits, stage changes, notes, applications and hires seen in the ATS. Private notes only for their author."""
    return await _timeline(request, response, ctx, session, prospect_id, kind, updated_after, cursor, limit)


@router.get("/notes", response_model=Page[ActivityRead], summary="The prospect's notes")
async def list_notes(prospect_id: uuid.UUID, request: Request, response: Response, ctx: Reader, session: Session,
                     updated_after: datetime | None = None, cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Notes only (the timeline's `note` entries)."""
    return await _timeline(request, response, ctx, session, prospect_id, "note", updated_after, cursor, limit)


@router.post("/notes", status_code=201, response_model=ActivityRead, summary="Add a note")
async def add_note(prospect_id: uuid.UUID, body: NoteCreate, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """A note on the prospect's timeline; `private` notes are seen only by their author."""
    async def run() -> Response:
        await prospects.writable(session, prospect_id)
        note = await service.record(session, prospect_id, "note", body.body[:200], data={"body": body.body},
                                    visibility=body.visibility, actor=ctx.principal.id)
        return resource_response(ActivityRead, note, status_code=201)
    return await idem.run(run)
