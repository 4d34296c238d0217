"""`GET /v1/prospects/{id}/export`."""
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from talentkit.auth import RequestContext, require
from talentkit.db import UoW

from crm.exports import service

router = APIRouter(prefix="/v1/prospects", tags=["Prospects"])


@router.get("/{id}/export", summary="Everything the CRM holds about a prospect (access request)",
            responses={404: {"description": "Unknown prospect.", "content": {"application/problem+json": {}}}})
async def export(id: uuid.UUID, ctx: Annotated[RequestContext, Depends(require("crm:read"))], uow: UoW) -> dict[str, Any]:
    """One JSON document for a data-subject access request (the sync gateway's `/v1/data-subject-requests` puts it
    in its bundle): the profile, and under `records` every row of every CRM table about the prospect (consent and
    its history, suppressions, timeline and notes, messages with their text, engagement, pools, enrollments,
    pushes, alerts), merged duplicates included, and the Art. 14 notice's dates."""
    return await service.export(uow=uow, prospect_id=id)
