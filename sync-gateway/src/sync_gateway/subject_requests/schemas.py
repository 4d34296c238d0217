"""Data-subject request bodies."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from sync_gateway.subject_requests.models import RequestStatus, RequestType

RECTIFIABLE = ("first_name", "last_name", "phones", "location", "headline")


class SubjectRequestCreate(BaseModel):
    """A person's request about their data, identified by their email addresses."""

    model_config = ConfigDict(extra="forbid")
    type: RequestType = Field(description="`access` (one JSON bundle of everything held), `erasure` (both systems and "
                                          "the gateway, complete) or `rectification` (correct fields on both sides).")
    emails: list[EmailStr] = Field(min_length=1, max_length=20, description="The person's addresses.")
    requested_by: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = Field(
        description="Who asked: `data_subject`, or the name of who acts for them.")
    identity_verified: bool = Field(description="False: the request waits (`awaiting_verification`) until "
                                                "`POST /v1/data-subject-requests/{id}/verify`.")
    changes: dict[str, Any] = Field(default_factory=dict, description=f"Rectification: corrected values of {', '.join(RECTIFIABLE)}.")

    @model_validator(mode="after")
    def _changes(self) -> "SubjectRequestCreate":
        unknown = set(self.changes) - set(RECTIFIABLE)
        if unknown:
            raise ValueError(f"changes may only name {', '.join(RECTIFIABLE)}; not {', '.join(sorted(unknown))}")
        if self.type == RequestType.RECTIFICATION and not self.changes:
            raise ValueError("a rectification needs `changes`")
        return self


class SubjectRequestRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    type: RequestType
    emails: list[str] = Field(description="Empty once an erasure is complete (only hashes stay).")
    email_hashes: list[str]
    requested_by: str
    identity_verified: bool
    status: RequestStatus
    outcome: dict[str, Any] = Field(description="By side: the records found and what was done to each.")
    bundle_available: bool = Field(description="Access: the bundle can be downloaded from `/bundle`.")
    received_at: datetime
    due_at: datetime = Field(description="One month after receipt (Art. 12(3) GDPR).")
    overdue: bool = Field(False, description="Past its due date and not completed.")
    completed_at: datetime | None
    version: int

    @classmethod
    def of(cls, req: Any, now: datetime) -> "SubjectRequestRead":
        """The request as shown at `now` (whether it is overdue depends on the clock)."""
        return cls.model_validate(req).model_copy(update={"overdue": req.overdue_at(now)})
