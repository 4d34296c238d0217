"""Interviewer availability bodies."""
from __future__ import annotations

import uuid
from datetime import datetime, time
from typing import Annotated

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from ats.interviews.schemas import TimeZoneName


class WorkingHours(BaseModel):
    model_config = ConfigDict(extra="forbid")
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday.")
    start: time = Field(description="Local time in the interviewer's zone, e.g. `09:00`.")
    end: time = Field(description="After `start`, the same day, e.g. `17:30`.")

    @model_validator(mode="after")
    def _ordered(self) -> WorkingHours:
        if self.end <= self.start:
            raise ValueError("`end` must be after `start` on the same day")
        return self


class InterviewerPut(BaseModel):
    """An interviewer's calendar: who, where invitations go, their zone and weekly working hours."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    email: EmailStr | None = Field(None, description="Where invitations go; default: the id when it is an email.")
    timezone: TimeZoneName = Field(description="IANA zone of the working hours, e.g. `Europe/Berlin`.")
    working_hours: list[WorkingHours] = Field(max_length=50, description="Weekly hours; none means never available.")


class BusyBlockCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    starts_at: AwareDatetime
    ends_at: AwareDatetime = Field(description="After `starts_at`, at most 31 days later.")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class BusyBlockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    starts_at: datetime
    ends_at: datetime
    reason: str | None


class InterviewerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: str = Field(description="How interviews name the interviewer (lower-cased email or user id).")
    name: str | None
    email: str | None
    timezone: str
    working_hours: list[WorkingHours]
    busy_blocks: list[BusyBlockRead]
    version: int
    created_at: datetime
    updated_at: datetime
