"""`/v1/prospects/{id}/work-history`."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW

from crm.work_history import service
from crm.work_history.schemas import WorkHistoryIn, WorkHistoryRead

router = APIRouter(prefix="/v1/prospects", tags=["Prospects"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER
NOT_FOUND: Responses = {404: {"description": "No such prospect.", **P}}


@router.get("/{prospect_id}/work-history", response_model=WorkHistoryRead, summary="A prospect's work history",
            responses=NOT_FOUND)
async def read(prospect_id: uuid.UUID, ctx: Reader, uow: UoW) -> dict[str, Any]:
    """The positions the prospect held, latest start first; openness reads their tenure from it."""
    return await service.read(uow=uow, prospect_id=prospect_id)


@router.put("/{prospect_id}/work-history", response_model=WorkHistoryRead, summary="Replace a prospect's work history",
            responses={**NOT_FOUND, 409: {"description": "The prospect was merged (`merged_into_id`).", **P},
                       410: {"description": "The prospect was erased.", **P}})
async def replace(prospect_id: uuid.UUID, body: WorkHistoryIn, ctx: Writer, uow: UoW) -> dict[str, Any]:
    """Store these positions as the prospect's whole work history (an empty list clears it). The open-ended
    positions at the prospect's `current_company` give openness its tenure signal."""
    return await service.replace(uow=uow, prospect_id=prospect_id,
                                 positions=[p.model_dump() for p in body.positions])
