"""`/v1/links`: who is who across the ATS and the CRM."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.errors import NotFound
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate

from sync_gateway.links import repository
from sync_gateway.links.models import Link
from sync_gateway.links.schemas import LinkRead

router = APIRouter(prefix="/v1/links", tags=["Links"])
Reader = Annotated[RequestContext, Depends(require("gateway:read"))]


@router.get("", response_model=Page[LinkRead], summary="Find links")
async def list_links(request: Request, response: Response, ctx: Reader, session: Session,
                     ats_candidate_id: Annotated[uuid.UUID | None, Query(description="The link of this ATS candidate.")] = None,
                     crm_prospect_id: Annotated[uuid.UUID | None, Query(description="The link of this CRM prospect.")] = None,
                     cursor: Annotated[str | None, Query(description="`next_cursor` from the previous page.")] = None,
                     limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Links, oldest first. Filter by `ats_candidate_id` or `crm_prospect_id` to see where one person is on the other side."""
    filters = {"ats_candidate_id": str(ats_candidate_id) if ats_candidate_id else None,
               "crm_prospect_id": str(crm_prospect_id) if crm_prospect_id else None}
    stmt = repository.listing(ats_candidate_id=ats_candidate_id, crm_prospect_id=crm_prospect_id)
    rows, nxt = await paginate(session, request, response, stmt, created_col=Link.created_at, id_col=Link.id,
                               filters=filters, cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/{link_id}", response_model=LinkRead, summary="Get a link")
async def get_link(link_id: uuid.UUID, ctx: Reader, session: Session) -> Link:
    """One link by id."""
    link = await session.get(Link, link_id)
    if link is None:
        raise NotFound(f"No link with id {link_id}.")
    return link
