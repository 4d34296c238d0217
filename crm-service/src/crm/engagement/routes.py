"""`/v1/prospects/{id}/engagement`, `/v1/engagement/prospects` (ranked by score) and `/v1/reports/engagement`."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.pagination import Page, PageQuery

from crm.engagement import service
from crm.engagement.config import engagement_settings
from crm.engagement.schemas import (
    EngagementRead,
    EngagementReport,
    Level,
    Order,
    RankedProspect,
)
from crm.sequences.clock import clock_of

router = APIRouter(tags=["Engagement"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
P = PROBLEM_ANSWER


@router.get("/v1/prospects/{id}/engagement", response_model=EngagementRead, summary="Engagement score",
            tags=["Prospects"], responses={404: {"description": "No such prospect.", **P}})
async def get_engagement(id: uuid.UUID, request: Request, ctx: Reader, uow: UoW) -> dict[str, Any]:
    """Opens (1), clicks (3), replies (8) and page visits (2), each halved every 14 days (configurable with
    `CRM_ENGAGEMENT_*`), summed now; with each event's contribution."""
    return await service.read(uow=uow, prospect_id=id, now=clock_of(request.app).now(),
                              settings=engagement_settings(request.app))


@router.get("/v1/engagement/prospects", response_model=Page[RankedProspect], summary="Prospects by engagement",
            responses={400: {"description": "A cursor of another order or level.", **P}})
async def ranked(request: Request, ctx: Reader, uow: UoW, paging: PageQuery,
                 order: Annotated[Order, Query(description="`-score` (most engaged first) or `score`.")] = Order.DESC,
                 level: Level | None = None) -> dict[str, Any]:
    """Prospects that have engaged at least once, ordered by their current (decayed) score."""
    return await service.ranked(uow=uow, paging=paging, now=clock_of(request.app).now(),
                                settings=engagement_settings(request.app), order=order, level=level)


@router.get("/v1/reports/engagement", response_model=EngagementReport, summary="Engagement report",
            responses={400: {"description": "A time without UTC offset.", **P}})
async def report(ctx: Reader, uow: UoW, sequence_id: uuid.UUID | None = None,
                 sent_after: datetime | None = None, sent_before: datetime | None = None) -> dict[str, Any]:
    """Per sequence, step and variant: sent, delivered, opened, clicked and replied (distinct messages)."""
    return {"data": await service.report(uow=uow, sequence_id=sequence_id, since=sent_after, until=sent_before)}
