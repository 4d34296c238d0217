"""Application bodies."""
import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from ats.applications.models import ApplicationStatus, HrisStatus, RejectKind
from ats.candidates.schemas import CandidateCreate
from ats.jobs.schemas import StageRead

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Notes = Annotated[str, StringConstraints(max_length=5000)]


class ApplicationCreate(BaseModel):
    """Apply an existing candidate (`candidate_id`) or a new one (`candidate`) to an open job."""

    model_config = ConfigDict(extra="forbid")
    job_id: uuid.UUID
    candidate_id: uuid.UUID | None = None
    candidate: CandidateCreate | None = Field(None, description="A new candidate, created in the same transaction.")
    source: Short | None = Field(None, description="e.g. `career_site`, `referral`, `linkedin`.")
    referrer: Short | None = Field(None, description="Who referred the candidate.")

    @model_validator(mode="after")
    def _one_candidate(self) -> "ApplicationCreate":
        if (self.candidate_id is None) == (self.candidate is None):
            raise ValueError("give exactly one of `candidate_id` and `candidate`")
        return self


class ApplicationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    candidate_id: uuid.UUID
    job_id: uuid.UUID
    stage: StageRead
    status: ApplicationStatus
    source: str | None
    referrer: str | None
    reject_reason_id: uuid.UUID | None
    reject_notes: str | None
    rejected_at: datetime | None
    hired_at: datetime | None
    start_date: date | None
    hire_override: bool
    work_email: str | None = Field(description="The new employee's work email, as given at the hire (sent to the HRIS).")
    hris_status: HrisStatus | None = Field(description=(
        "The hire's hand-off to the HRIS: pending (queued, retried with backoff), sent (`hris_employee_id`), "
        "failed (`hris_error`; retry with POST /v1/applications/{id}/hris-handoff/retry); null before a hire."))
    hris_error: str | None
    hris_employee_id: str | None
    hris_synced_at: datetime | None
    background_check_status: str | None = Field(description=(
        "The latest background check: requested, invited, pending, clear, consider, suspended, cancelled, or the "
        "decision on a consider (engaged, pre_adverse_action, adverse_action). Details: /background-checks."))
    applied_at: datetime
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str


class Move(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_stage_id: uuid.UUID = Field(description="The stage you believe the application is in; 409 if it is not any more.")
    to_stage_id: uuid.UUID = Field(description="A stage of the same job (not of kind `hired`: use /hire).")


class Reject(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reject_reason_id: uuid.UUID = Field(description="From `GET /v1/reject-reasons`. A `they_withdrew` reason marks the application withdrawn.")
    notes: Notes | None = None


class Hire(BaseModel):
    model_config = ConfigDict(extra="forbid")
    start_date: date | None = None
    override: bool = Field(False, description="Hire although the application is not at an offer stage and has no accepted offer. Audited.")
    override_reason: Notes | None = Field(None, description="Why the override (required with `override: true`).")
    work_email: EmailStr | None = Field(None, description="The new employee's work email, for the HRIS.")

    @model_validator(mode="after")
    def _reason(self) -> "Hire":
        if self.override and not self.override_reason:
            raise ValueError("`override_reason` is required with `override: true`")
        return self


class Transfer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: uuid.UUID = Field(description="The open job to move the application to; it enters that job's first stage.")


class StageHistoryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    job_id: uuid.UUID
    from_stage_id: uuid.UUID | None
    to_stage_id: uuid.UUID
    to_stage_name: str | None = None
    action: str = Field(description="applied, moved, hired, unhired or transferred.")
    entered_at: datetime
    exited_at: datetime | None = Field(description="Null while the application is still in the stage.")
    actor: str


class RejectReasonCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Short
    kind: RejectKind


class RejectReasonRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: RejectKind
    created_at: datetime
