"""`GET /v1/jobs/{id}/ranked-applications`."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.pagination import Page, PageQuery

from ats.ranking import scoring, service
from ats.ranking.schemas import RankedApplication

router = APIRouter(prefix="/v1/jobs", tags=["Jobs"])
Reader = Annotated[RequestContext, Depends(require("ats:read"))]
P = PROBLEM_ANSWER


@router.get("/{job_id}/ranked-applications", response_model=Page[RankedApplication], summary="Rank and grade applications",
            responses={404: {"description": "No such job.", **P}}, description=(
                "Every active application of the job, best first, scored against the job's `requirements` and "
                "description, with the reasons. The same inputs always give the same scores.\n\n"
                + (scoring.__doc__ or "").split("\n\n", 1)[1]))
async def ranked_applications(job_id: uuid.UUID, ctx: Reader, uow: UoW, paging: PageQuery) -> dict[str, Any]:
    return await service.ranked(uow=uow, paging=paging, job_id=job_id)
