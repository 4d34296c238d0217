"""`/v1/prospects/{id}/resume-text`."""
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.responses import resource_response

from crm.resume_text import service
from crm.resume_text.schemas import ResumeExcerptIn, ResumeExcerptRead

router = APIRouter(prefix="/v1/prospects", tags=["Prospects"])
Reader = Annotated[RequestContext, Depends(require("crm:read"))]
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER


@router.get("/{prospect_id}/resume-text", response_model=ResumeExcerptRead, summary="A prospect's resume excerpt",
            responses={404: {"description": "No such prospect, or no excerpt.", **P}})
async def read(prospect_id: uuid.UUID, ctx: Reader, uow: UoW) -> Response:
    """The start of the linked ATS candidate's latest resume, without who they are, that the prospect's embedding
    takes in besides the profile."""
    return resource_response(ResumeExcerptRead, await service.read(uow=uow, prospect_id=prospect_id))


@router.put("/{prospect_id}/resume-text", response_model=ResumeExcerptRead, summary="Keep a prospect's resume excerpt",
            responses={404: {"description": "No such prospect.", **P},
                       409: {"description": "The prospect was merged (`merged_into_id`).", **P},
                       410: {"description": "The prospect was erased.", **P}})
async def keep(prospect_id: uuid.UUID, body: ResumeExcerptIn, ctx: Writer, uow: UoW) -> Response:
    """What the sync gateway's resume flow sends when the ATS reads a resume of the linked candidate (where the
    field policy's `resume_text` allows). An excerpt of a resume read earlier than the stored one changes nothing;
    the prospect's embedding is computed again with it."""
    return resource_response(ResumeExcerptRead, await service.keep(uow=uow, prospect_id=prospect_id,
                                                                   values=body.model_dump()))
