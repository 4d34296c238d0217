"""`POST /v1/candidates/{id}/merge`."""
import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.responses import resource_response

from ats.candidates.schemas import CandidateMerge, CandidateRead
from ats.merges import service

router = APIRouter(prefix="/v1/candidates", tags=["Candidates"])
P = PROBLEM_ANSWER


@router.post("/{id}/merge", response_model=CandidateRead, summary="Merge a duplicate into this candidate",
             responses={404: {"description": "Unknown candidate.", **P},
                        409: {"description": "Already merged, or both applied to the same job.", **P}})
async def merge_candidates(id: uuid.UUID, body: CandidateMerge, ctx: Annotated[RequestContext, Depends(require("ats:write"))],
                           uow: UoW, idem: IdempotencyGuard) -> Response:
    """Fold `duplicate_id` into this candidate: applications with their stage history and notes move here, emails,
    phones and tags are added, and the duplicate keeps only `merged_into_id`. Emits `ats.candidate.merged.v1`."""
    async def run() -> Response:
        survivor = await service.merge(uow=uow, survivor_id=id, duplicate_id=body.duplicate_id, ctx=ctx)
        return resource_response(CandidateRead, survivor)
    return await idem.run(run)
