"""Slot proposal and scheduling invite bodies."""
from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    HttpUrl,
    model_validator,
)

from ats.interviews.schemas import Interviewers, Line, TimeZoneName
from ats.scheduling.models import InviteStatus


class Slot(BaseModel):
    starts_at: datetime
    ends_at: datetime


class SlotList(BaseModel):
    data: list[Slot] = Field(description="Free slots for the whole panel, earliest first.")


class InviteCreate(BaseModel):
    """Offer the candidate of an application a window to book an interview in themselves."""

    model_config = ConfigDict(extra="forbid")
    application_id: uuid.UUID = Field(description="An active application; its candidate's first email gets the link.")
    stage_id: uuid.UUID = Field(description="A stage of the application's job.")
    interviewers: Interviewers = Field(description="The panel; each needs availability (`PUT /v1/interviewers/{id}`).")
    duration_minutes: int = Field(ge=15, le=480)
    window_start: AwareDatetime = Field(description="Earliest start offered.")
    window_end: AwareDatetime = Field(description="Latest end offered; at most 31 days after `window_start`.")
    timezone: TimeZoneName = Field(description="The zone the candidate sees times in, e.g. `Europe/London`.")
    location: Line | None = None
    video_link: HttpUrl | None = None
    expires_at: AwareDatetime = Field(description="When the link stops working (at most `window_end`).")

    @model_validator(mode="after")
    def _expiry(self) -> InviteCreate:
        if self.expires_at > self.window_end:
            raise ValueError("`expires_at` must not be after `window_end`")
        return self


class InviteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    application_id: uuid.UUID
    stage_id: uuid.UUID
    interviewers: list[str]
    duration_minutes: int
    window_start: datetime
    window_end: datetime
    timezone: str
    location: str | None
    video_link: str | None
    status: InviteStatus = Field(description="open, booked (see `interview_id`) or cancelled.")
    interview_id: uuid.UUID | None
    expires_at: datetime
    version: int
    created_at: datetime
    url: str | None = Field(None, description="The candidate's link (only in the creation response; it is also emailed).")
