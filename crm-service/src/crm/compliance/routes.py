"""`/v1/compliance/art14`."""
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.pagination import Page, PageQuery

from crm.compliance import service
from crm.compliance.schemas import Art14Notice
from crm.sequences.clock import clock_of

router = APIRouter(prefix="/v1/compliance", tags=["Compliance"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]


@router.get("/art14", response_model=Page[Art14Notice], summary="Art. 14 notices of sourced prospects")
async def art14(request: Request, ctx: Reader, uow: UoW, paging: PageQuery,
                status: Annotated[Literal["due", "overdue", "sent"] | None, Query(
                    description="`due`: not sent, still in time; `overdue`: past due, not sent; `sent`.")] = None,
                ) -> dict[str, Any]:
    """Prospects the CRM did not get from the person themselves (any source but the talent-community form or the
    career site) owe a privacy notice within a month of collection, or at the first contact if sooner. The CRM
    sends it by itself: with the first sequence email, or on its own a few days before the due date
    (`CRM_ART14_NOTICE_LEAD_DAYS`)."""
    return await service.art14(uow=uow, paging=paging, status=status, now=clock_of(request.app).now())
