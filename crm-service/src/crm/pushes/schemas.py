"""Push bodies."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from crm.pushes.models import FailureCode

Id = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class PushToJobIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    job_id: uuid.UUID = Field(description="The ATS job.")


class PushOutcomeIn(BaseModel):
    """What became of a push in the ATS, as the sync gateway saw it."""

    model_config = ConfigDict(extra="forbid")
    status: Literal["succeeded", "failed"]
    code: FailureCode | None = Field(None, description="Why it failed: " + ", ".join(c.value for c in FailureCode)
                                     + " (default `other`). Ignored for `succeeded`.")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = Field(
        None, validate_default=True, description="Required for `failed`: a sentence the recruiter reads, "
        "e.g. `The job is closed in the ATS.`")
    application_id: Id | None = Field(None, description="The ATS application, when it succeeded.")
    candidate_id: Id | None = Field(None, description="The ATS candidate, when known.")

    @field_validator("reason")
    @classmethod
    def _reason_for_a_failure(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("status") == "failed":
            raise ValueError("required when `status` is `failed`")
        return value


class PushRead(BaseModel):
    """A push of a prospect to an ATS job. `status`: `requested` (the sync gateway is on it), `succeeded` (the ATS
    has the application) or `failed` (see `code` and `reason`; the recruiter got an alert)."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    prospect_id: uuid.UUID
    job_id: uuid.UUID
    status: str
    code: str | None
    reason: str | None
    application_id: str | None
    candidate_id: str | None
    requested_by: str
    recipient: str = Field(description="The recruiter alerted when the push fails.")
    version: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
