"""ATS events (topic `ats.candidates`)."""
from uuid import UUID

from pydantic import BaseModel

from shared_schemas.events.common import FieldChange, PersonSnapshot


class CandidateSnapshot(PersonSnapshot):
    """An ATS candidate as it stands after the change."""


class CandidateCreatedV1(BaseModel):
    """`ats.candidate.created.v1`: a candidate was created in the ATS."""

    candidate: CandidateSnapshot


class CandidateUpdatedV1(BaseModel):
    """`ats.candidate.updated.v1`: profile fields changed; `changes` holds before and after of each."""

    candidate_id: UUID
    changes: dict[str, FieldChange]
    candidate: CandidateSnapshot
