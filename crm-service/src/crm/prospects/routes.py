"""`/v1/prospects` (the shared profile routes), status events from the ATS, push-to-job, merge and erasure."""
import uuid
from typing import Annotated, Any

from fastapi import Depends, Response
from fastapi.responses import JSONResponse
from talentkit.apidocs import PROBLEM_ANSWER, Responses
from talentkit.auth import RequestContext, require
from talentkit.db import UoW
from talentkit.idempotency import IdempotencyGuard
from talentkit.profiles.routes import profile_router
from talentkit.responses import resource_response

from crm.engagement.service import prospect_ordering
from crm.openness.service import openness_ordering
from crm.prospects import erasure, lifecycle
from crm.prospects.merge import merge
from crm.prospects.schemas import (
    EraseIn,
    MergeIn,
    ProspectCreate,
    ProspectRead,
    ProspectUpdate,
    StatusEventIn,
)
from crm.prospects.service import prospects
from crm.pushes.schemas import PushRead, PushToJobIn

router = profile_router(service=prospects, path="/v1/prospects", noun="prospect", tag="Prospects",
                        read_scope="crm:read", write_scope="crm:write", create_schema=ProspectCreate,
                        patch_schema=ProspectUpdate, out_schema=ProspectRead,
                        orderings={"-engagement_score": prospect_ordering(True), "engagement_score": prospect_ordering(False),
                                   "-openness": openness_ordering(True), "openness": openness_ordering(False)})
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = PROBLEM_ANSWER
GONE: Responses = {409: {"description": "The prospect was merged (`merged_into_id`, `Location` of the survivor).", **P},
        410: {"description": "The prospect was erased: it accepts no more writes.", **P}}


@router.post("/{id}/status-events", summary="Record an ATS status (applied, hired, …)",
             responses={404: {"description": "No such prospect.", **P}, **GONE})
async def post_status_event(id: uuid.UUID, body: StatusEventIn, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Called by the sync gateway when the ATS sees the person apply, get hired or rejected. `applied` and `hired`
    end every nurture enrollment (reason `applied`/`hired`) and move the prospect's pool stages; `applied` for a
    job the prospect was pushed to marks that push `succeeded`; `hired` also excludes the prospect from future
    enrollments. The timeline records it."""
    async def run() -> Response:
        out = await lifecycle.record_ats_status(uow=uow, prospect_id=id, kind=body.kind, job_id=body.job_id,
                                                application_id=body.application_id, occurred_at=body.occurred_at,
                                                detail=body.detail, ctx=ctx)
        return JSONResponse({k: str(v) if isinstance(v, uuid.UUID) else v for k, v in out.items()})
    return await idem.run(run)


@router.post("/{id}/push-to-job", status_code=202, response_model=PushRead, summary="Push to an ATS job",
             responses={404: {"description": "No such prospect.", **P},
                        409: {"description": "Excluded, no email, merged (`merged_into_id`), or already being pushed to "
                                             "this job (`existing_push_id`).", **P},
                        410: {"description": "The prospect was erased.", **P}})
async def post_push_to_job(id: uuid.UUID, body: PushToJobIn, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Ask for the prospect to be considered for an ATS job. Accepted (202) with the push resource (`Location:
    /v1/pushes/{push_id}`, status `requested`): the sync gateway creates or finds the ATS candidate and the
    application, links them, and the prospect's pool stage becomes `applied` and the push `succeeded`. When the
    ATS refuses (job unknown or closed), the push becomes `failed` with the reason, the timeline shows
    `push_failed` and the recruiter (the `On-Behalf-Of` user, else the key) gets a `push_failed` alert.
    Emits `crm.prospect.pushed_to_job.v1` (with `push_id`)."""
    async def run() -> Response:
        push = await lifecycle.push_to_job(uow=uow, prospect_id=id, job_id=body.job_id, ctx=ctx)
        return resource_response(PushRead, push, status_code=202, location=f"/v1/pushes/{push.id}")
    return await idem.run(run)


@router.post("/{id}/merge", response_model=ProspectRead, summary="Merge a duplicate into this prospect",
             responses={404: {"description": "Unknown prospect.", **P},
                        409: {"description": "One of the two was merged already (`merged_into_id`).", **P},
                        410: {"description": "One of the two was erased.", **P}})
async def post_merge(id: uuid.UUID, body: MergeIn, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Fold `duplicate_id` into this prospect: emails, phones, tags, skills and links are added, the timeline,
    pool memberships and a running enrollment move here, and the duplicate keeps only `merged_into_id`.
    Emits `crm.prospect.merged.v1` (the sync gateway re-points the link)."""
    async def run() -> Response:
        return resource_response(ProspectRead, await merge(uow=uow, survivor_id=id, duplicate_id=body.duplicate_id, ctx=ctx))
    return await idem.run(run)


@router.post("/{id}/erase", response_model=ProspectRead, summary="Erase a prospect's personal data",
             responses={404: {"description": "Unknown prospect.", **P}, 409: {"description": "Already erased.", **P}})
async def post_erase(id: uuid.UUID, body: EraseIn, ctx: Writer, uow: UoW, idem: IdempotencyGuard) -> Response:
    """Right to be forgotten: names, contact points, work details, the timeline's contents and sent messages are
    anonymised, every enrollment ends (reason `erased`) and the prospect accepts no more writes (410 Gone). Emits
    `crm.prospect.erased.v1` (email hashes only); the sync gateway erases the ATS side too. Erasing twice is 409."""
    async def run() -> Response:
        return resource_response(ProspectRead, await erasure.erase(uow=uow, prospect_id=id, reason=body.reason, ctx=ctx))
    return await idem.run(run)


__all__: list[Any] = ["router"]
