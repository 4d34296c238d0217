"""`/v1/candidates/{id}/notes` and `/v1/candidates/{id}/activity`."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from ats.notes import service
from ats.notes.schemas import ActivityItem, NoteCreate, NoteRead

router = APIRouter(prefix="/v1/candidates/{candidate_id}")
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
Writer = Annotated[RequestContext, Depends(require("ats:write"))]
P = PROBLEM_ANSWER
NO_CANDIDATE: Responses = {404: {"description": "No such candidate.", **P}}


@router.post("/notes", status_code=201, response_model=NoteRead, summary="Add a note", tags=["Notes"],
             responses={**NO_CANDIDATE, 403: {"description": "`admin_only` notes are for the admin key.", **P},
                        422: {"description": "Empty or too long `body`, or unknown `visibility`.", **P}})
async def add_note(candidate_id: uuid.UUID, body: NoteCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Write a note on a candidate. `visibility` decides who reads it: `public` (everyone), `private` (only its
    author: the user named in `On-Behalf-Of` when your key acts for users, else your API key) or `admin_only`
    (only the admin key). Notes stay in the ATS: no event is published."""
    async def run() -> Response:
        note = await service.add(uow=uow, candidate_id=candidate_id, body=body.body, visibility=body.visibility, ctx=ctx)
        return resource_response(NoteRead, note, status_code=201)
    return await idem.run(run)


@router.get("/notes", response_model=Page[NoteRead], summary="List a candidate's notes", tags=["Notes"], responses=NO_CANDIDATE)
async def list_notes(candidate_id: uuid.UUID, ctx: Reader, uow: UoW, paging: PageQuery,
                     updated_after: Annotated[datetime | None, Query(description="Only notes changed after this time.")] = None,
                     ) -> dict[str, Any]:
    """The candidate's notes you may read, oldest first; follow `next`. Private notes of other authors (another
    `On-Behalf-Of` user, or another key) and admin-only notes (unless you are the admin) are left out."""
    return await service.list_notes(uow=uow, paging=paging, candidate_id=candidate_id, updated_after=updated_after, ctx=ctx)


@router.get("/activity", response_model=Page[ActivityItem], summary="A candidate's activity feed", tags=["Activity"],
            responses={**NO_CANDIDATE, 400: {"description": "A cursor from another list or other filters.", **P}})
async def activity(candidate_id: uuid.UUID, ctx: Reader, uow: UoW, paging: PageQuery,
                   updated_after: Annotated[datetime | None, Query(description="Only items after this time.")] = None,
                   ) -> dict[str, Any]:
    """Everything that happened to a candidate, newest first, one page at a time (follow `next`): the notes you may
    read (`kind: note`, with `body`) and every recorded change to the candidate and its applications, interviews,
    scorecards and offers (`kind: audit`, with `action` and a readable `summary`). Blind feedback, as in
    `GET /v1/scorecards`: while you owe your own scorecard on an application, other interviewers' scorecard
    entries show without `summary`."""
    return await service.activity(uow=uow, paging=paging, candidate_id=candidate_id, updated_after=updated_after, ctx=ctx)
