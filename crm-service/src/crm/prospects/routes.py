"""`/v1/prospects` (the shared profile routes), status events from the ATS, and push-to-job."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from talentkit.auth import RequestContext, require
from talentkit.db import Session
from talentkit.idempotency import IdempotencyGuard
from talentkit.profiles.routes import profile_router
from talentkit.responses import resource_response

from crm.engagement.service import prospect_ordering
from crm.prospects.erasure import erase
from crm.prospects.lifecycle import StatusKind, push_to_job, status_event
from crm.prospects.merge import merge
from crm.prospects.schemas import ProspectCreate, ProspectRead, ProspectUpdate
from crm.prospects.service import prospects
from crm.pushes.schemas import PushRead, PushToJobIn

router = profile_router(service=prospects, path="/v1/prospects", noun="prospect", tag="Prospects",
                        read_scope="crm:read", write_scope="crm:write", create_schema=ProspectCreate,
                        patch_schema=ProspectUpdate, out_schema=ProspectRead,
                        orderings={"-engagement_score": prospect_ordering(True), "engagement_score": prospect_ordering(False)})
Writer = Annotated[RequestContext, Depends(require("crm:write"))]
P = {"content": {"application/problem+json": {}}}


class StatusEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: StatusKind = Field(description="applied, hired, rejected or withdrawn (in the ATS).")
    job_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    application_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    occurred_at: datetime | None = None
    detail: Annotated[str, StringConstraints(max_length=1000)] | None = None


@router.post("/{id}/status-events", summary="Record an ATS status (applied, hired, …)",
             responses={404: {"description": "No such prospect.", **P}})
async def post_status_event(id: uuid.UUID, body: StatusEventIn, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Called by the sync gateway when the ATS sees the person apply, get hired or rejected. `applied` and `hired`
    end every nurture enrollment (reason `applied`/`hired`) and move the prospect's pool stages; `hired` also
    excludes the prospect from future enrollments. The timeline records it."""
    async def run() -> Response:
        out = await status_event(session, id, body.kind, job_id=body.job_id, application_id=body.application_id,
                                 occurred_at=body.occurred_at, detail=body.detail, ctx=ctx)
        return JSONResponse({k: str(v) if isinstance(v, uuid.UUID) else v for k, v in out.items()})
    return await idem.run(run)


@router.post("/{id}/push-to-job", status_code=202, response_model=PushRead, summary="Push to an ATS job",
             responses={404: {"description": "No such prospect.", **P},
                        409: {"description": "Excluded, no email, merged (`merged_into_id`), or already being pushed to "
                                             "this job (`existing_push_id`).", **P},
                        410: {"description": "The prospect was erased.", **P}})
async def post_push_to_job(id: uuid.UUID, body: PushToJobIn, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Ask for the prospect to be considered for an ATS job. Accepted (202) with the push resource (`Location:
    /v1/pushes/{push_id}`, status `requested`): the sync gateway creates or finds the ATS candidate and the
    application, links them, and the prospect's pool stage becomes `applied` and the push `succeeded`. When the
    ATS refuses (job unknown or closed), the push becomes `failed` with the reason, the timeline shows
    `push_failed` and the recruiter (the `On-Behalf-Of` user, else the key) gets a `push_failed` alert.
    Emits `crm.prospect.pushed_to_job.v1` (with `push_id`)."""
    async def run() -> Response:
        push = await push_to_job(session, id, body.job_id, ctx)
        return resource_response(PushRead, push, status_code=202, location=f"/v1/pushes/{push.id}")
    return await idem.run(run)


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicate_id: uuid.UUID = Field(description="The prospect to fold into this one.")


@router.post("/{id}/merge", response_model=ProspectRead, summary="Merge a duplicate into this prospect",
             responses={404: {"description": "Unknown prospect.", **P}, 409: {"description": "Already merged.", **P}})
async def post_merge(id: uuid.UUID, body: MergeIn, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Fold `duplicate_id` into this prospect: emails, phones, tags, skills and links are added, the timeline,
    pool memberships and a running enrollment move here, and the duplicate keeps only `merged_into_id`.
    Emits `crm.prospect.merged.v1` (the sync gateway re-points the link)."""
    async def run() -> Response:
        return resource_response(ProspectRead, await merge(session, id, body.duplicate_id, ctx))
    return await idem.run(run)


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, description="e.g. `gdpr_request`.")


@router.post("/{id}/erase", response_model=ProspectRead, summary="Erase a prospect's personal data",
             responses={404: {"description": "Unknown prospect.", **P}, 409: {"description": "Already erased.", **P}})
async def post_erase(id: uuid.UUID, body: EraseIn, ctx: Writer, session: Session, idem: IdempotencyGuard) -> Response:
    """Right to be forgotten: names, contact points, work details, the timeline's contents and sent messages are
    anonymised, every enrollment ends (reason `erased`) and the prospect can never be enrolled again. Emits
    `crm.prospect.erased.v1` (email hashes only); the sync gateway erases the ATS side too."""
    async def run() -> Response:
        return resource_response(ProspectRead, await erase(session, id, body.reason, ctx))
    return await idem.run(run)


__all__: list[Any] = ["router"]
