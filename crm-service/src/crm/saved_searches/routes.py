"""`/v1/saved-searches`."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from crm.saved_searches import service
from crm.saved_searches.schemas import SavedSearchCreate, SavedSearchRead

router = APIRouter(prefix="/v1/saved-searches", tags=["Search"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER
NOT_FOUND: Responses = {404: {"description": "No such saved search.", **P}}


@router.post("", status_code=201, response_model=SavedSearchRead, summary="Save a search",
             responses={400: {"description": "`q` does not parse (position and what was expected).", **P}})
async def save(body: SavedSearchCreate, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Keep a search. The prospects it matches now are remembered; from then on, every prospect that comes to
    match it (created, or changed to match) raises one `saved_search_matches` alert for `recipient`, checked
    every minute (`CRM_SAVED_SEARCH_CHECK_SECONDS`). In `semantic` mode a prospect matches at a similarity of 0.45."""
    async def run() -> Response:
        saved = await service.create(uow=uow, values=body.model_dump(mode="json"), ctx=ctx)
        return resource_response(SavedSearchRead, saved, status_code=201, location=f"/v1/saved-searches/{saved.id}")
    return await idem.run(run)


@router.get("", response_model=Page[SavedSearchRead], summary="List saved searches")
async def list_saved(ctx: Reader, uow: UoW, paging: PageQuery, recipient: str | None = None) -> dict[str, Any]:
    """Saved searches, oldest first; filter by the recipient of their alerts."""
    return await service.list_saved(uow=uow, paging=paging, recipient=recipient)


@router.get("/{saved_id}", response_model=SavedSearchRead, summary="Get a saved search", responses=NOT_FOUND)
async def get_saved(saved_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The saved search."""
    return resource_response(SavedSearchRead, await service.get(uow=uow, saved_id=saved_id))


@router.post("/{saved_id}/check", summary="Look for new matches now", responses=NOT_FOUND)
async def check_now(saved_id: uuid.UUID, ctx: Writer, uow: UoW) -> Response:
    """What the minutely check does, at once: `new_matches` (prospect ids matching for the first time) and the
    `alert_id` raised for them (null when none, or alerts are off)."""
    out = await service.check(uow=uow, saved=await service.get(uow=uow, saved_id=saved_id, for_update=True))
    return JSONResponse({"new_matches": [str(p) for p in out["new_matches"]],
                         "alert_id": str(out["alert_id"]) if out["alert_id"] else None})


@router.delete("/{saved_id}", status_code=204, summary="Delete a saved search", responses=NOT_FOUND)
async def delete_saved(saved_id: uuid.UUID, ctx: Writer, uow: UoW) -> Response:
    """Forget the saved search; no more alerts."""
    await service.delete(uow=uow, saved_id=saved_id)
    return Response(status_code=204)
