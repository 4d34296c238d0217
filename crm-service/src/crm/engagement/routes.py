"""`/v1/prospects/{id}/engagement`, `/v1/engagement/prospects` (ranked by score) and `/v1/reports/engagement`."""
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.errors import BadRequest, field_error
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, encode_cursor

from crm.engagement import service
from crm.engagement.config import engagement_settings
from crm.sequences.clock import clock_of

router = APIRouter(tags=["Engagement"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
P = {"content": {"application/problem+json": {}}}


class ContributionRead(BaseModel):
    kind: str = Field(description="open, click, reply or page_visit.")
    at: datetime
    weight: float
    decayed: float = Field(description="The weight after exponential decay to `computed_at`.")


class EngagementRead(BaseModel):
    prospect_id: uuid.UUID
    score: float
    level: str = Field(description="cold, warm or hot (thresholds `CRM_ENGAGEMENT_WARM_THRESHOLD`/`_HOT_THRESHOLD`).")
    computed_at: datetime
    half_life_days: float
    contributions: list[ContributionRead]


class RankedProspect(BaseModel):
    prospect_id: uuid.UUID
    first_name: str | None
    last_name: str | None
    owner: str | None
    score: float
    level: str


class Order(StrEnum):
    DESC = "-score"
    ASC = "score"


class Level(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class ReportRow(BaseModel):
    sequence_id: uuid.UUID
    step_index: int
    variant: str | None
    sent: int
    delivered: int = Field(description="Sent and not bounced.")
    opened: int = Field(description="Messages opened at least once.")
    clicked: int = Field(description="Messages with at least one tracked click.")
    replied: int = Field(description="Messages answered by a human (auto-replies excluded).")


class EngagementReport(BaseModel):
    data: list[ReportRow]


@router.get("/v1/prospects/{id}/engagement", response_model=EngagementRead, summary="Engagement score",
            tags=["Prospects"], responses={404: {"description": "No such prospect.", **P}})
async def get_engagement(id: uuid.UUID, request: Request, ctx: Reader, session: Session) -> dict[str, Any]:
    """Opens (1), clicks (3), replies (8) and page visits (2), each halved every 14 days (configurable with
    `CRM_ENGAGEMENT_*`), summed now; with each event's contribution."""
    return await service.read(session, id, clock_of(request.app).now(), engagement_settings(request.app))


@router.get("/v1/engagement/prospects", response_model=Page[RankedProspect], summary="Prospects by engagement")
async def ranked(request: Request, response: Response, ctx: Reader, session: Session,
                 order: Annotated[Order, Query(description="`-score` (most engaged first) or `score`.")] = Order.DESC,
                 level: Level | None = None, cursor: str | None = None,
                 limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Prospects that have engaged at least once, ordered by their current (decayed) score."""
    import base64
    import json
    offset, now = 0, clock_of(request.app).now()
    if cursor:
        try:
            payload = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            offset, now = int(payload["offset"]), datetime.fromisoformat(payload["at"])
            if payload.get("order") != order.value or payload.get("level") != (level.value if level else None) or offset < 0:
                raise BadRequest("The cursor was issued for another order or level.",
                                 errors=[field_error("cursor", "order or level differ from the cursor's")])
        except (ValueError, KeyError, TypeError):
            raise BadRequest("The cursor is not one this API issued.", errors=[field_error("cursor", "invalid cursor")]) from None
    rows = await service.ranked(session, now, engagement_settings(request.app), descending=order == Order.DESC,
                                offset=offset, limit=limit + 1, level=level.value if level else None)
    nxt = next_link = None
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = encode_cursor({"offset": offset + limit, "at": now.isoformat(), "order": order.value,
                             "level": level.value if level else None})
        next_link = f"{request.url.path}?cursor={nxt}&limit={limit}&order={order.value}" + (f"&level={level.value}" if level else "")
        response.headers["Link"] = f'<{next_link}>; rel="next"'
    return {"data": rows, "next_cursor": nxt, "next": next_link}


@router.get("/v1/reports/engagement", response_model=EngagementReport, summary="Engagement report")
async def report(ctx: Reader, session: Session, sequence_id: uuid.UUID | None = None,
                 sent_after: datetime | None = None, sent_before: datetime | None = None) -> dict[str, Any]:
    """Per sequence, step and variant: sent, delivered, opened, clicked and replied (distinct messages)."""
    for name, v in (("sent_after", sent_after), ("sent_before", sent_before)):
        if v is not None and v.tzinfo is None:
            raise BadRequest(f"`{name}` needs a UTC offset.", errors=[field_error(name, "needs a UTC offset")])
    return {"data": await service.report(session, sequence_id=sequence_id, since=sent_after, until=sent_before)}
