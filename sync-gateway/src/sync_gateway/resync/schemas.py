"""Resync request and job bodies."""
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from sync_gateway.resync.models import ResyncJob

Status = Literal["queued", "running", "succeeded", "failed", "cancelled"]


class ResyncRequest(BaseModel):
    """Which links to re-apply the policy to: some people (by either side's id), or everyone."""

    model_config = ConfigDict(extra="forbid")

    ats_candidate_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    crm_prospect_ids: list[uuid.UUID] = Field(default_factory=list, max_length=1000)
    all: bool = Field(False, description="Every link (the id lists must then be empty).")


class Progress(BaseModel):
    total: int | None = Field(description="Links in scope when the job started (null while queued).")
    done: int = Field(description="Links re-applied.")
    skipped: int = Field(description="Links left alone: a side was erased, merged away or is gone.")
    failed: int = Field(description="Links that could not be re-applied (see `errors`).")
    conflicts: int = Field(description="Overridden values logged in `/v1/conflicts`.")


class JobError(BaseModel):
    link_id: uuid.UUID | None = Field(description="The link that failed; null for a failure of the whole job.")
    error: str


class ResyncJobRead(BaseModel):
    """A resync job. Poll it until `status` is `succeeded`, `failed` or `cancelled`."""

    id: uuid.UUID
    status: Status = Field(description="queued → running → succeeded | failed | cancelled. A job whose runner died "
                           "is taken over (resumed where it stopped) by another runner; after repeated deaths it fails.")
    all: bool
    ats_candidate_ids: list[uuid.UUID]
    crm_prospect_ids: list[uuid.UUID]
    progress: Progress
    errors: list[JobError] = Field(description="The first failures (at most 50), with the link and the error.")
    attempts: int = Field(description="How many times a runner took the job on (more than 1 after a restart).")
    requested_by: str
    cancelled_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


def job_body(job: ResyncJob) -> dict[str, Any]:
    """The job as the API shows it (JSON-ready)."""
    return ResyncJobRead(
        id=job.id, status=job.status, all=job.all_links,  # type: ignore[arg-type]
        ats_candidate_ids=job.ats_candidate_ids or [], crm_prospect_ids=job.crm_prospect_ids or [],
        progress=Progress(total=job.total, done=job.done, skipped=job.skipped, failed=job.failed, conflicts=job.conflicts),
        errors=[JobError(**e) for e in job.errors or []], attempts=job.claims, requested_by=job.requested_by,
        cancelled_by=job.cancelled_by, created_at=job.created_at, started_at=job.started_at, finished_at=job.finished_at,
    ).model_dump(mode="json")
