"""Alert and rediscovery bodies."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: str = Field(description="`job_matches` (talent for a newly opened job), `engagement_threshold`, "
                                  "`send_failed` (a sequence step could not be sent) or `push_failed` (a push to an ATS job failed).")
    recipient: str | None = Field(description="The recruiter the alert is for.")
    title: str
    data: dict[str, Any]
    status: str = Field(description="`open` or `acknowledged`.")
    version: int
    created_at: datetime
    updated_at: datetime


class JobOpening(BaseModel):
    """A job that just opened in the ATS (sent by the sync gateway)."""

    model_config = ConfigDict(extra="forbid")
    job_id: uuid.UUID
    title: Text200
    skills: list[Annotated[str, StringConstraints(max_length=50)]] = Field(default_factory=list, max_length=50)
    location: Text200 | None = None
    recruiter: Text200 | None = None


class MatchRead(BaseModel):
    prospect_id: uuid.UUID
    name: str
    score: float
    reasons: list[str]
