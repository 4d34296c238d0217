"""`GET /v1/prospects/{id}/openness`."""
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW

from crm.openness import formula, service
from crm.openness.schemas import OpennessRead

router = APIRouter(prefix="/v1/prospects", tags=["Engagement"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
P = PROBLEM_ANSWER


@router.get("/{prospect_id}/openness", response_model=OpennessRead, summary="How open a prospect may be to a move",
            responses={404: {"description": "No such prospect.", **P}},
            description="An explainable score (0-100) with each signal, its points and the reason. "
                        "`GET /v1/prospects?order=-openness` lists prospects by it; crossing "
                        "`CRM_OPENNESS_ALERT_THRESHOLD` (default 60) raises one `openness_threshold` alert for the "
                        "prospect's owner.\n\n" + (formula.__doc__ or "").split("\n\n", 1)[1])
async def openness(prospect_id: uuid.UUID, ctx: Reader, uow: UoW) -> dict[str, Any]:
    return await service.read(uow=uow, prospect_id=prospect_id, now=datetime.now(UTC))
