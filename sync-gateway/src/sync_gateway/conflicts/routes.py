"""`/v1/conflicts`: every value the field policy overrode."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.pagination import Page, PageQuery

from sync_gateway.conflicts import service
from sync_gateway.conflicts.schemas import ConflictRead

router = APIRouter(tags=["Conflicts"])


@router.get("/v1/conflicts", response_model=Page[ConflictRead], summary="List resolved conflicts")
async def list_conflicts(ctx: Annotated[RequestContext, Depends(require("gateway:read"))], uow: UoW, pages: PageQuery,
                         candidate: Annotated[uuid.UUID | None, Query(description="An ATS candidate id.")] = None,
                         prospect: Annotated[uuid.UUID | None, Query(description="A CRM prospect id.")] = None,
                         field: Annotated[str | None, Query(description="One profile field, e.g. `last_name`.")] = None,
                         ) -> dict[str, Any]:
    """Every value the field policy overrode: a `two_way` edit that lost to a later one, a change a one-way or
    `prefer_*_unless_blank` rule did not carry, a value of one side that a sync wrote over. Each with both values,
    both source times, the rule applied, the winner and the event that triggered the decision. A standing
    difference is listed once. An erased person's conflicts stay without their values (`values_erased_at`)."""
    return await service.listing(uow=uow, pages=pages, candidate=candidate, prospect=prospect, field=field)
