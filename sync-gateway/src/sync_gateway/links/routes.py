"""`/v1/links`: who is who across the ATS and the CRM."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.pagination import Page, PageQuery

from sync_gateway.links import service
from sync_gateway.links.models import Link
from sync_gateway.links.schemas import LinkRead

router = APIRouter(prefix="/v1/links", tags=["Links"])
Reader = Annotated[RequestContext, Depends(require("gateway:read"))]


@router.get("", response_model=Page[LinkRead], summary="Find links")
async def list_links(ctx: Reader, uow: UoW, pages: PageQuery,
                     ats_candidate_id: Annotated[uuid.UUID | None, Query(description="The link of this ATS candidate.")] = None,
                     crm_prospect_id: Annotated[uuid.UUID | None, Query(description="The link of this CRM prospect.")] = None,
                     ) -> dict[str, Any]:
    """Links, oldest first. Filter by `ats_candidate_id` or `crm_prospect_id` to see where one person is on the other side."""
    return await service.listing(uow=uow, pages=pages, ats_candidate_id=ats_candidate_id, crm_prospect_id=crm_prospect_id)


@router.get("/{link_id}", response_model=LinkRead, summary="Get a link", responses={404: {"description": "No such link."}})
async def get_link(link_id: uuid.UUID, ctx: Reader, uow: UoW) -> Link:
    """One link by id."""
    return await service.get(uow=uow, link_id=link_id)
