"""`/v1/alerts` and `/v1/rediscovery`."""
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.errors import Conflict, NotFound
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, next_url, paginate
from talentkit.responses import resource_response

from crm.alerts.matching import find_matches, summary
from crm.alerts.models import Alert
from crm.events import emit

router = APIRouter(tags=["Alerts and rediscovery"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: str = Field(description="`job_matches` (talent for a newly opened job) or `engagement_threshold`.")
    recipient: str | None = Field(description="The recruiter the alert is for.")
    title: str
    data: dict[str, Any]
    status: str = Field(description="`open` or `acknowledged`.")
    version: int
    created_at: datetime
    updated_at: datetime


class JobOpening(BaseModel):
    """A job that just opened in the ATS (sent by the sync gateway)."""

    model_config = ConfigDict(extra="forbid")
    job_id: uuid.UUID
    title: Text200
    skills: list[Annotated[str, StringConstraints(max_length=50)]] = Field(default_factory=list, max_length=50)
    location: Text200 | None = None
    recruiter: Text200 | None = None


class MatchRead(BaseModel):
    prospect_id: uuid.UUID
    name: str
    score: float
    reasons: list[str]


@router.post("/v1/rediscovery/job-openings", status_code=201, response_model=AlertRead, summary="Find talent for an opened job")
async def job_opened(body: JobOpening, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Match silver medalists and past prospects against the job (title, skills, location) and raise a
    `job_matches` alert for the job's recruiter listing them, best first. Emits `crm.alert.raised.v1`."""
    async def run() -> Response:
        matches = [summary(m) for m in await find_matches(session, title=body.title, skills=body.skills, location=body.location)]
        alert = Alert(kind="job_matches", recipient=body.recruiter, title=f"{len(matches)} people to consider for {body.title}",
                      data={"job_id": str(body.job_id), "matches": matches}, status="open", version=1)
        session.add(alert)
        await session.flush()
        await emit(session, ctx, "crm.alert.raised.v1", aggregate_id=alert.id, sequence=1,
                   data={"alert_id": alert.id, "kind": alert.kind, "recipient": alert.recipient, "title": alert.title,
                         "data": alert.data})
        return resource_response(AlertRead, alert, status_code=201)
    return await idem.run(run)


@router.get("/v1/rediscovery/matches", response_model=list[MatchRead], summary="Rediscover talent")
async def matches(ctx: Reader, session: Session, title: Annotated[str, Query(min_length=1, max_length=200)],
                  skills: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI query list default
                  location: str | None = None) -> list[dict[str, Any]]:
    """Prospects matching a title, skills and location, best first, with the reasons."""
    return [summary(m) for m in await find_matches(session, title=title, skills=skills, location=location)]


@router.get("/v1/alerts", response_model=Page[AlertRead], summary="List alerts")
async def list_alerts(request: Request, response: Response, ctx: Reader, session: Session,
                      recipient: str | None = None, status: str | None = None, kind: str | None = None,
                      updated_after: datetime | None = None, cursor: str | None = None,
                      limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT) -> dict[str, Any]:
    """Alerts, oldest first; filter by recipient, status, kind."""
    stmt = select(Alert)
    for col, val in ((Alert.recipient, recipient), (Alert.status, status), (Alert.kind, kind)):
        if val is not None:
            stmt = stmt.where(col == val)
    if updated_after:
        stmt = stmt.where(Alert.updated_at > updated_after)
    rows, nxt = await paginate(session, request, response, stmt, created_col=Alert.created_at, id_col=Alert.id,
                               filters={"recipient": recipient, "status": status, "kind": kind,
                                        "updated_after": updated_after.isoformat() if updated_after else None},
                               cursor=cursor, limit=limit)
    return {"data": rows, "next_cursor": nxt, "next": next_url(request, response)}


@router.get("/v1/alerts/{alert_id}", response_model=AlertRead, summary="Get an alert")
async def get_alert(alert_id: uuid.UUID, ctx: Reader, session: Session) -> Response:
    alert = await session.get(Alert, alert_id)
    if alert is None:
        raise NotFound("No such alert.")
    return resource_response(AlertRead, alert)


@router.post("/v1/alerts/{alert_id}/acknowledge", response_model=AlertRead, summary="Acknowledge an alert")
async def acknowledge(alert_id: uuid.UUID, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Mark the alert seen; 409 if it already is."""
    async def run() -> Response:
        alert = (await session.execute(select(Alert).where(Alert.id == alert_id).with_for_update())).scalar_one_or_none()
        if alert is None:
            raise NotFound("No such alert.")
        if alert.status == "acknowledged":
            raise Conflict("The alert is already acknowledged.")
        alert.status, alert.version, alert.updated_at = "acknowledged", alert.version + 1, datetime.now(UTC)
        return resource_response(AlertRead, alert)
    return await idem.run(run)
