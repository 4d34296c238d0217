"""Scorecard bodies."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from ats.scorecards.models import Rating, Recommendation

Attribute = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Ratings = Annotated[dict[Attribute, Rating], Field(max_length=50, description=(
    "Attribute name → rating, one of `definitely_not`, `no`, `yes`, `strong_yes` (weakest to strongest), "
    "e.g. `{\"communication\": \"yes\", \"system design\": \"strong_yes\"}`. Up to 50 attributes."))]
Notes = Annotated[str, StringConstraints(max_length=10000)]


class ScorecardCreate(BaseModel):
    """Submit an interviewer's feedback. One scorecard per interviewer and interview."""

    model_config = ConfigDict(extra="forbid")
    interview_id: uuid.UUID
    interviewer: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=254)] | None = Field(
        None, description="Optional, and only ever you: the interviewer is the caller (see the operation). When "
                          "given, it must equal that identity (403 otherwise).")
    ratings: Ratings = {}
    overall_recommendation: Recommendation = Field(description="strong_no, no, mixed, yes or strong_yes.")
    notes: Notes | None = Field(None, description="Free-text feedback (stays in the ATS).")


class ScorecardUpdate(BaseModel):
    """Fields to change; absent fields stay. `ratings` replaces the whole map."""

    model_config = ConfigDict(extra="forbid")
    ratings: Ratings | None = None
    overall_recommendation: Recommendation | None = None
    notes: Notes | None = None

    @field_validator("ratings", "overall_recommendation")
    @classmethod
    def _not_null(cls, v: Any) -> Any:
        if v is None:
            raise ValueError("cannot be null; leave the field out to keep it")
        return v


class ScorecardRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    interview_id: uuid.UUID
    application_id: uuid.UUID
    interviewer: str
    ratings: dict[str, Rating]
    overall_recommendation: Recommendation
    notes: str | None
    submitted_at: datetime
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
