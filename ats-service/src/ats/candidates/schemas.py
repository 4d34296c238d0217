"""Candidate bodies."""
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator
from talentkit.profiles.schemas import Links, ProfileIn, ProfileOut, ProfilePatch

Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CandidateCreate(ProfileIn):
    """A new candidate."""

    source: Source | None = Field(None, description="How the candidate came to us, e.g. `referral`, `linkedin`, `career_site`.")
    links: Links = Field(default_factory=list)


class CandidateUpdate(ProfilePatch):
    """Fields of a candidate to change."""

    source: Source | None = None
    links: Links | None = None

    @field_validator("links", mode="before")
    @classmethod
    def _links_not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; send [] to clear the list, or leave the field out")
        return value


class CandidateRead(ProfileOut):
    """A candidate. `merged_into_id` is set when this record was merged into another (use that one)."""

    links: list[str] = Field([], description="Profile links (LinkedIn, GitHub, portfolio); resumes add theirs.")
    merged_into_id: uuid.UUID | None = None
    erased_at: datetime | None = Field(None, description="Set when the person's data was erased (anonymised).")


class CandidateErase(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, description="e.g. `gdpr_request`.")


class CandidateMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicate_id: uuid.UUID = Field(description="The candidate to fold into this one.")
