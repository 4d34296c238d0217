"""`/v1/reports`: funnel, time to hire, time to fill."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field
from talentkit.auth import RequestContext, require
from talentkit.db import Session

from ats.reports import service

router = APIRouter(prefix="/v1/reports", tags=["Reports"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]


class FunnelStage(BaseModel):
    stage_id: uuid.UUID
    name: str
    kind: str
    reached: int = Field(description="Applications that reached this stage or a later one.")
    conversion_to_next: float | None = Field(description="reached(next) / reached(this); null for the last stage.")


class Funnel(BaseModel):
    job_id: uuid.UUID
    applications: int
    stages: list[FunnelStage]


class Durations(BaseModel):
    job_id: uuid.UUID | None
    count: int
    median_days: float | None
    p90_days: float | None = Field(description="90th percentile (nearest rank).")


@router.get("/funnel", response_model=Funnel, summary="Pipeline funnel of a job")
async def funnel(ctx: Reader, session: Session, job_id: Annotated[uuid.UUID, Query()]) -> dict[str, Any]:
    """How many applications reached each stage of the job, and the conversion between consecutive stages."""
    return await service.funnel(session, job_id)


@router.get("/time-to-hire", response_model=Durations, summary="Time to hire")
async def time_to_hire(ctx: Reader, session: Session, job_id: uuid.UUID | None = None) -> dict[str, Any]:
    """Median and 90th percentile of days from application to hire (all jobs, or one)."""
    return await service.time_to_hire(session, job_id)


@router.get("/time-to-fill", response_model=Durations, summary="Time to fill")
async def time_to_fill(ctx: Reader, session: Session, job_id: uuid.UUID | None = None) -> dict[str, Any]:
    """Median and 90th percentile of days from a job opening to each hire (all jobs, or one)."""
    return await service.time_to_fill(session, job_id)
