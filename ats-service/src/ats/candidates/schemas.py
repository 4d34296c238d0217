"""Candidate bodies."""
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from talentkit.profiles.schemas import ProfileIn, ProfileOut, ProfilePatch

Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CandidateCreate(ProfileIn):
    """A new candidate."""

    source: Source | None = Field(None, description="How the candidate came to us, e.g. `referral`, `linkedin`, `career_site`.")


class CandidateUpdate(ProfilePatch):
    """Fields of a candidate to change."""

    source: Source | None = None


class CandidateRead(ProfileOut):
    """A candidate. `merged_into_id` is set when this record was merged into another (use that one)."""

    merged_into_id: uuid.UUID | None = None
    erased_at: datetime | None = Field(None, description="Set when the person's data was erased (anonymised).")


class CandidateErase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, description="e.g. `gdpr_request`.")


class CandidateMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicate_id: uuid.UUID = Field(description="The candidate to fold into this one.")
