"""Legal hold bodies."""
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

Text500 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]


class LegalHoldCreate(BaseModel):
    """A hold on exactly one candidate or one job."""

    model_config = ConfigDict(extra="forbid")
    candidate_id: uuid.UUID | None = Field(None, description="Hold this candidate.")
    job_id: uuid.UUID | None = Field(None, description="Hold everyone who applied to this job.")
    reason: Text500 = Field(description="Why, e.g. `EEOC charge 123`; shown in the 409 of a blocked erasure.")
    matter: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = Field(
        None, description="Case or claim reference.")

    @model_validator(mode="after")
    def _one_target(self) -> "LegalHoldCreate":
        if (self.candidate_id is None) == (self.job_id is None):
            raise ValueError("give exactly one of candidate_id and job_id")
        return self


class LegalHoldRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    candidate_id: uuid.UUID | None
    job_id: uuid.UUID | None
    reason: str
    matter: str | None
    placed_by: str
    active: bool
    released_at: datetime | None
    released_by: str | None
    version: int
    created_at: datetime
    updated_at: datetime
