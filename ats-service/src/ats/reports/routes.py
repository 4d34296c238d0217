"""`/v1/reports`: funnel, time to hire, time to fill."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from talentkit.auth import RequestContext, require
from talentkit.db import UoW

from ats.reports import service
from ats.reports.schemas import Durations, Funnel, Sources

router = APIRouter(prefix="/v1/reports", tags=["Reports"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]


@router.get("/funnel", response_model=Funnel, summary="Pipeline funnel of a job",
            responses={404: {"description": "No job with that `job_id`."}})
async def funnel(ctx: Reader, uow: UoW, job_id: Annotated[uuid.UUID, Query()]) -> dict[str, Any]:
    """How many applications reached each stage of the job, and the conversion between consecutive stages."""
    return await service.funnel(uow=uow, job_id=job_id)


@router.get("/time-to-hire", response_model=Durations, summary="Time to hire")
async def time_to_hire(ctx: Reader, uow: UoW, job_id: uuid.UUID | None = None) -> dict[str, Any]:
    """Median and 90th percentile of days from application to hire (all jobs, or one)."""
    return await service.time_to_hire(uow=uow, job_id=job_id)


@router.get("/time-to-fill", response_model=Durations, summary="Time to fill")
async def time_to_fill(ctx: Reader, uow: UoW, job_id: uuid.UUID | None = None) -> dict[str, Any]:
    """Median and 90th percentile of days from a job opening to each hire (all jobs, or one)."""
    return await service.time_to_fill(uow=uow, job_id=job_id)


@router.get("/sources", response_model=Sources, summary="Source of applications and hires")
async def sources(ctx: Reader, uow: UoW, job_id: uuid.UUID | None = None) -> dict[str, Any]:
    """How many applications and hires came from each source (all jobs, or one)."""
    return await service.sources(uow=uow, job_id=job_id)
