"""`/v1/candidates` (the shared profile routes) and `/v1/candidates/{id}/erase` (merging is `ats.merges`)."""
import uuid
from typing import Annotated

from fastapi import Depends, Response
from talentkit.apidocs import PROBLEM_ANSWER
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.profiles.routes import profile_router
from talentkit.responses import resource_response

from ats.candidates.schemas import (
    CandidateCreate,
    CandidateErase,
    CandidateRead,
    CandidateUpdate,
)
from ats.candidates.service import candidates, erase

router = profile_router(service=candidates, path="/v1/candidates", noun="candidate", tag="Candidates",
                        read_scope="ats:read", write_scope="ats:write", create_schema=CandidateCreate,
                        patch_schema=CandidateUpdate, out_schema=CandidateRead)
P = PROBLEM_ANSWER


@router.post("/{id}/erase", response_model=CandidateRead, summary="Erase a candidate's personal data",
             responses={404: {"description": "Unknown candidate.", **P}, 409: {"description": "Already erased.", **P}})
async def erase_candidate(id: uuid.UUID, body: CandidateErase, ctx: Annotated[RequestContext, Depends(require("ats:write"))],
                          uow: UoW, idem: IdempotencyGuard) -> Response:
    """Right to be forgotten: names, contact points, tags, location, headline and notes are anonymised; the
    applications and their history stay for reporting, without personal data. Emits `ats.candidate.erased.v1`
    (email hashes only); the sync gateway erases the CRM side and blocks a silent re-import."""
    async def run() -> Response:
        return resource_response(CandidateRead, await erase(uow=uow, candidate_id=id, reason=body.reason, ctx=ctx))
    return await idem.run(run)
