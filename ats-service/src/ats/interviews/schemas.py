"""Interview bodies."""
import uuid
from datetime import datetime
from functools import cache
from typing import Annotated
from zoneinfo import available_timezones

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    StringConstraints,
)

from ats.interviews.models import InterviewStatus

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
Interviewer = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=1, max_length=254)]


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def _iana(name: str) -> str:
    if name not in _zones():
        raise ValueError("not an IANA time zone name (e.g. `Europe/Berlin`, `America/New_York`, `UTC`)")
    return name


TimeZoneName = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64), AfterValidator(_iana)]
Interviewers = Annotated[list[Interviewer], Field(min_length=1, max_length=20), AfterValidator(lambda v: list(dict.fromkeys(v)))]


class InterviewCreate(BaseModel):
    """Schedule an interview. Times carry an offset (`2026-12-01T10:00:00+01:00`); `timezone` is how to show them."""

    model_config = ConfigDict(extra="forbid")
    application_id: uuid.UUID = Field(description="An active application.")
    stage_id: uuid.UUID = Field(description="A stage of the application's job (usually of kind `interview`).")
    starts_at: AwareDatetime
    ends_at: AwareDatetime = Field(description="After `starts_at`, at most 12 hours later.")
    timezone: TimeZoneName = Field(description="IANA zone name for display, e.g. `Europe/Berlin`.")
    interviewers: Interviewers = Field(description="1 to 20 interviewers (emails or user ids; compared lower-cased). "
                                                   "None of them may have an overlapping interview.")
    location: Line | None = Field(None, description="Room or address.")
    video_link: HttpUrl | None = Field(None, description="Meeting URL.")


class InterviewReschedule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: AwareDatetime
    ends_at: AwareDatetime = Field(description="After `starts_at`, at most 12 hours later.")
    timezone: TimeZoneName | None = Field(None, description="New display zone; default: keep the current one.")


class InterviewCancel(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="Why, e.g. `candidate withdrew`, `interviewer ill`.")


class InterviewRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    application_id: uuid.UUID
    stage_id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    timezone: str
    interviewers: list[str]
    location: str | None
    video_link: str | None
    status: InterviewStatus = Field(validation_alias="current_status", description=(
        "scheduled, awaiting_feedback (ended, or some scorecards in), complete (every interviewer submitted) or cancelled."))
    cancel_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
