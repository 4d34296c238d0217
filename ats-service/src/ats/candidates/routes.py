"""`/v1/candidates` (the shared profile routes) and `/v1/candidates/{id}/merge`."""
import uuid
from typing import Annotated

from fastapi import Depends, Response
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard
from talentkit.profiles.routes import profile_router
from talentkit.responses import resource_response

from ats.candidates.schemas import (
    CandidateCreate,
    CandidateErase,
    CandidateMerge,
    CandidateRead,
    CandidateUpdate,
)
from ats.candidates.service import candidates, erase, merge

router = profile_router(service=candidates, path="/v1/candidates", noun="candidate", tag="Candidates",
                        read_scope="ats:read", write_scope="ats:write", create_schema=CandidateCreate,
                        patch_schema=CandidateUpdate, out_schema=CandidateRead)
P = {"content": {"application/problem+json": {}}}


@router.post("/{id}/merge", response_model=CandidateRead, summary="Merge a duplicate into this candidate",
             responses={404: {"description": "Unknown candidate.", **P},
                        409: {"description": "Already merged, or both applied to the same job.", **P}})
async def merge_candidates(id: uuid.UUID, body: CandidateMerge, ctx: Annotated[RequestContext, Depends(require("ats:write"))],
                           session: Session, idem: IdempotencyGuard) -> Response:
    """Fold `duplicate_id` into this candidate: applications with their stage history and notes move here, emails,
    phones and tags are added, and the duplicate keeps only `merged_into_id`. Emits `ats.candidate.merged.v1`."""
    async def run() -> Response:
        return resource_response(CandidateRead, await merge(session, id, body.duplicate_id, ctx))
    return await idem.run(run)


@router.post("/{id}/erase", response_model=CandidateRead, summary="Erase a candidate's personal data",
             responses={404: {"description": "Unknown candidate.", **P}, 409: {"description": "Already erased.", **P}})
async def erase_candidate(id: uuid.UUID, body: CandidateErase, ctx: Annotated[RequestContext, Depends(require("ats:write"))],
                          session: Session, idem: IdempotencyGuard) -> Response:
    """Right to be forgotten: names, contact points, tags, location, headline and notes are anonymised; the
    applications and their history stay for reporting, without personal data. Emits `ats.candidate.erased.v1`
    (email hashes only); the sync gateway erases the CRM side and blocks a silent re-import."""
    async def run() -> Response:
        return resource_response(CandidateRead, await erase(session, id, body.reason, ctx))
    return await idem.run(run)
