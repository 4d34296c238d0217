"""Enrollment bodies."""
import uuid
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError("not an IANA time zone, e.g. `Europe/Berlin`") from None
    return name


Zone = Annotated[str, StringConstraints(min_length=1, max_length=64), AfterValidator(_zone)]


class EnrollmentCreate(BaseModel):
    """Enroll a prospect in the sequence's current version."""

    model_config = ConfigDict(extra="forbid")
    prospect_id: uuid.UUID
    timezone: Zone = Field("UTC", description="The recipient's IANA time zone; send windows are in it.")
    variables: dict[str, str | int | float] = Field(
        default_factory=dict, description="Token values, e.g. `{\"job_title\": \"SRE\", \"company\": \"Acme\"}`; "
        "they override the prospect's `first_name`/`last_name`.")


class EnrollmentExit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = Field(
        None, description="Kept as `manual: <reason>`.")


class EnrollmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    sequence_id: uuid.UUID
    sequence_version: int = Field(description="The sequence version this enrollment follows, whatever edits come later.")
    prospect_id: uuid.UUID
    status: str = Field(description="scheduled, active, paused, completed or exited.")
    exit_reason: str | None
    pause_reason: str | None = Field(description="`manual`, or `blocked: missing tokens ...` when a step could not be personalized.")
    timezone: str
    variables: dict[str, Any]
    next_step: int = Field(description="Index of the next step to send.")
    next_due_at: datetime | None
    last_sent_at: datetime | None
    ended_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
