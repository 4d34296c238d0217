"""Candidate bodies."""
from pydantic import Field, StringConstraints
from typing import Annotated

from talentkit.profiles.schemas import ProfileIn, ProfileOut, ProfilePatch

Source = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class CandidateCreate(ProfileIn):
    """A new candidate."""

    source: Source | None = Field(None, description="How the candidate came to us, e.g. `referral`, `linkedin`, `career_site`.")


class CandidateUpdate(ProfilePatch):
    """Fields of a candidate to change."""

    source: Source | None = None


class CandidateRead(ProfileOut):
    """A candidate."""
