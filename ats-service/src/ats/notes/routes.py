"""`/v1/candidates/{id}/notes` and `/v1/candidates/{id}/activity`."""
import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request, Response
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.errors import BadRequest, field_error
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    Page,
    decode_cursor,
    encode_cursor,
    next_url,
    paginate,
)
from talentkit.responses import resource_response

from ats.candidates.service import candidates
from ats.notes import repository, service
from ats.notes.models import Note
from ats.notes.schemas import ActivityItem, NoteCreate, NoteRead
from ats.users import acting_user

router = APIRouter(prefix="/v1/candidates/{candidate_id}")
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = {"content": {"application/problem+json": {}}}
NO_CANDIDATE = {404: {"description": "No such candidate.", **P}}


@router.post("/notes", status_code=201, response_model=NoteRead, summary="Add a note", tags=["Notes"],
             responses={**NO_CANDIDATE, 403: {"description": "`admin_only` notes are for the admin key.", **P},
                        422: {"description": "Empty or too long `body`, or unknown `visibility`.", **P}})
async def add_note(candidate_id: uuid.UUID, body: NoteCreate, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Write a note on a candidate. `visibility` decides who reads it: `public` (everyone), `private` (only its
    author: the user named in `On-Behalf-Of` when your key acts for users, else your API key) or `admin_only`
    (only the admin key). Notes stay in the ATS: no event is published."""
    async def run() -> Response:
        return resource_response(NoteRead, await service.add(session, candidate_id, body.body, body.visibility, ctx),
                                 status_code=201)
    return await idem.run(run)


@router.get("/notes", response_model=Page[NoteRead], summary="List a candidate's notes", tags=["Notes"], responses=NO_CANDIDATE)
async def list_notes(candidate_id: uuid.UUID, request: Request, response: Response, ctx: Reader, session: Session,
                     updated_after: Annotated[datetime | None, Query(description="Only notes changed after this time.")] = None,
                     cursor: str | None = None,
                     limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """The candidate's notes you may read, oldest first; follow `next`. Private notes of other authors (another
    `On-Behalf-Of` user, or another key) and admin-only notes (unless you are the admin) are left out."""
    await candidates.get(session, candidate_id)
    stmt = repository.listing(candidate_id, ctx.principal, acting_user(ctx), updated_after)
    rows, nxt = await paginate(session, request, response, stmt, created_col=Note.created_at, id_col=Note.id,
                               filters={"updated_after": updated_after.isoformat() if updated_after else None},
                               cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/activity", response_model=Page[ActivityItem], summary="A candidate's activity feed", tags=["Activity"],
            responses={**NO_CANDIDATE, 400: {"description": "A cursor from another list or other filters.", **P}})
async def activity(candidate_id: uuid.UUID, request: Request, response: Response, ctx: Reader, session: Session,
                   updated_after: Annotated[datetime | None, Query(description="Only items after this time.")] = None,
                   cursor: str | None = None,
                   limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Everything that happened to a candidate, newest first, one page at a time (follow `next`): the notes you may
    read (`kind: note`, with `body`) and every recorded change to the candidate and its applications, interviews,
    scorecards and offers (`kind: audit`, with `action` and a readable `summary`). Blind feedback, as in
    `GET /v1/scorecards`: while you owe your own scorecard on an application, other interviewers' scorecard
    entries show without `summary`."""
    await candidates.get(session, candidate_id)
    filters = {k: v for k, v in {"updated_after": updated_after.isoformat() if updated_after else None}.items() if v}
    after = None
    if cursor:
        payload = decode_cursor(cursor)
        if payload.get("filters", {}) != filters or len(payload["after"]) != 3:
            raise BadRequest("The cursor was issued for other filters or another list.",
                             errors=[field_error("cursor", "filters differ from the cursor's")])
        after = payload["after"]
    rows = await repository.activity(session, candidate_id, ctx.principal, acting_user(ctx), updated_after=updated_after, after=after,
                                     limit=limit + 1)
    nxt = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor({"after": [rows[-1].at.isoformat(), rows[-1].kind, rows[-1].key], "filters": filters})
        response.headers["Link"] = f'<{request.url.path}?{urlencode(filters | {"cursor": nxt, "limit": limit})}>; rel="next"'
    items = [ActivityItem(at=r.at, kind=r.kind, action=r.action, target_type=r.target_type, target_id=r.target_id,
                          actor=r.actor, summary=service.summary(r.changes), body=r.body, visibility=r.visibility)
             for r in rows]
    return {"data": items, "next_cursor": nxt, "next": next_url(request, response)}
