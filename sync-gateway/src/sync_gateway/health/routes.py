"""`GET /v1/health`: is the gateway healthy, or does it need a human."""
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from talentkit.auth import RequestContext, require
from talentkit.db import UoW

from sync_gateway.container import Wiring
from sync_gateway.health import service

router = APIRouter(tags=["Operations"])


class DeadLetterCheck(BaseModel):
    status: Literal["ok", "degraded"]
    recent: int = Field(description="Events dead-lettered in the last `window_seconds` (all replicas).")
    window_seconds: int
    threshold: int = Field(description="`recent` at or above this makes the gateway `degraded` and raises an alert.")
    open: int = Field(description="Dead letters not yet replayed or discarded (`GET /v1/dead-letters`).")
    detail: str = Field(description="E.g. `4 dead letters in the last 10 min`.")


class ResyncCheck(BaseModel):
    status: Literal["ok"]
    queued: int
    running: int


class HealthChecks(BaseModel):
    dead_letters: DeadLetterCheck
    resync_jobs: ResyncCheck


class Health(BaseModel):
    status: Literal["ok", "degraded"] = Field(description="`degraded`: the gateway works but needs a human.")
    checks: HealthChecks


@router.get("/v1/health", response_model=Health, summary="Health beyond readiness")
async def health(ctx: Annotated[RequestContext, Depends(require("gateway:read"))], uow: UoW, gateway: Wiring) -> dict[str, Any]:
    """Always 200 while the gateway answers; `status` is `degraded` when events keep failing: at least `threshold`
    dead letters in the last `window_seconds` (each such run also raises an alert: an ERROR log line with
    `alert: dead_letters` and the metric `gateway_alerts_total`; `gateway_dead_letters_recent` is the count).
    Degraded is not unready: `/readyz` stays 200 as long as PostgreSQL and Kafka are reachable, since taking this
    replica out would not fix the events and everyone else's still sync. Fix the cause, then replay or discard
    the dead letters (`/v1/dead-letters`)."""
    return await service.report(uow=uow, alarm=gateway.alarm)
