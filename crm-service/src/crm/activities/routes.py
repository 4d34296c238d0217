"""`/v1/prospects/{id}/activities` (the timeline) and `/v1/prospects/{id}/notes`."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from crm.activities import service
from crm.activities.schemas import ActivityRead, NoteCreate

router = APIRouter(prefix="/v1/prospects/{prospect_id}", tags=["Timeline and notes"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER


@router.get("/activities", response_model=Page[ActivityRead], summary="The prospect's timeline")
async def list_activities(prospect_id: uuid.UUID, ctx: Reader, uow: UoW, paging: PageQuery, kind: str | None = None,
                          updated_after: Annotated[datetime | None, Query(description="Only activities after this time.")] = None,
                          ) -> dict[str, Any]:
    """Everything that happened with the prospect, oldest first (append-only): messages and their opens, clicks and
    replies, page visits, stage changes, notes, applications and hires seen in the ATS. Private notes only for their author."""
    return await service.timeline(uow=uow, paging=paging, prospect_id=prospect_id, kind=kind, after=updated_after, ctx=ctx)


@router.get("/notes", response_model=Page[ActivityRead], summary="The prospect's notes")
async def list_notes(prospect_id: uuid.UUID, ctx: Reader, uow: UoW, paging: PageQuery,
                     updated_after: datetime | None = None) -> dict[str, Any]:
    """Notes only (the timeline's `note` entries)."""
    return await service.timeline(uow=uow, paging=paging, prospect_id=prospect_id, kind="note", after=updated_after, ctx=ctx)


@router.post("/notes", status_code=201, response_model=ActivityRead, summary="Add a note",
             responses={404: {"description": "No such prospect.", **P}, 409: {"description": "The prospect was merged.", **P},
                        410: {"description": "The prospect was erased.", **P}})
async def add_note(prospect_id: uuid.UUID, body: NoteCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """A note on the prospect's timeline; `private` notes are seen only by their author."""
    async def run() -> Response:
        note = await service.add_note(uow=uow, prospect_id=prospect_id, body=body.body, visibility=body.visibility, ctx=ctx)
        return resource_response(ActivityRead, note, status_code=201)
    return await idem.run(run)
