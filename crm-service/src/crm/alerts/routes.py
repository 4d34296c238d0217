"""`/v1/alerts` and `/v1/rediscovery`."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.pagination import Page, PageQuery
from talentkit.responses import resource_response

from crm.alerts import service
from crm.alerts.matching import Opening
from crm.alerts.schemas import AlertRead, JobOpening, MatchRead

router = APIRouter(tags=["Alerts and rediscovery"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]


@router.post("/v1/rediscovery/job-openings", status_code=201, response_model=AlertRead, summary="Find talent for an opened job")
async def job_opened(body: JobOpening, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Match silver medalists and past prospects against the job and raise a `job_matches` alert for the job's
    recruiter listing them, best first, each with its reasons. Matching is hybrid search: the title's words and the
    skills as a full-text query, and the whole job (title, description, skills) compared by meaning with every
    prospect's profile; both rankings are fused, silver medalists weigh 1.5 times. Emits `crm.alert.raised.v1`."""
    async def run() -> Response:
        alert = await service.job_opened(uow=uow, job_id=body.job_id, opening=body.opening(), recruiter=body.recruiter)
        return resource_response(AlertRead, alert, status_code=201)
    return await idem.run(run)


@router.get("/v1/rediscovery/matches", response_model=list[MatchRead], summary="Rediscover talent")
async def matches(ctx: Reader, uow: UoW, title: Annotated[str, Query(min_length=1, max_length=200)],
                  skills: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI query list default
                  location: str | None = None) -> list[dict[str, Any]]:
    """Prospects matching a title, skills and location, best first, with the reasons (as for a job opening)."""
    return await service.rediscover(uow=uow, opening=Opening(title=title, must_have=skills, location=location))


@router.get("/v1/alerts", response_model=Page[AlertRead], summary="List alerts")
async def list_alerts(ctx: Reader, uow: UoW, paging: PageQuery, recipient: str | None = None, status: str | None = None,
                      kind: str | None = None, updated_after: datetime | None = None) -> dict[str, Any]:
    """Alerts, oldest first; filter by recipient, status, kind."""
    return await service.list_alerts(uow=uow, paging=paging, recipient=recipient, status=status, kind=kind,
                                     updated_after=updated_after)


@router.get("/v1/alerts/{alert_id}", response_model=AlertRead, summary="Get an alert")
async def get_alert(alert_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The alert; `ETag` carries its version."""
    return resource_response(AlertRead, await service.get(uow=uow, alert_id=alert_id))


@router.post("/v1/alerts/{alert_id}/acknowledge", response_model=AlertRead, summary="Acknowledge an alert")
async def acknowledge(alert_id: uuid.UUID, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Mark the alert seen; 409 if it already is."""
    async def run() -> Response:
        return resource_response(AlertRead, await service.acknowledge(uow=uow, alert_id=alert_id))
    return await idem.run(run)
