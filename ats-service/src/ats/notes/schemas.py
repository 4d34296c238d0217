"""Note and activity bodies."""
import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ats.notes.models import Visibility


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)] = Field(
        description="Plain text, 1 to 10,000 characters.")
    visibility: Visibility = Field(Visibility.PUBLIC, description=(
        "`public`: every API key with `ats:read`; `private`: only you (the `On-Behalf-Of` user, else your API key); "
        "`admin_only`: only the admin key (only the admin can write these)."))


class NoteRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    candidate_id: uuid.UUID
    body: str
    visibility: Visibility
    author: str = Field(description="Who wrote it: the `On-Behalf-Of` user (lower-cased), else the principal, e.g. "
                                    "`rita@example.com`, `admin` or `key:recruiting-app`.")
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str


class ActivityItem(BaseModel):
    """One entry of a candidate's activity: a note, or an audited change to the candidate or its
    applications, interviews, scorecards and offers."""

    at: datetime
    kind: Literal["note", "audit"]
    action: str = Field(description="`note.created`, or the audit action, e.g. `application.moved`, `offer.sent`.")
    target_type: str = Field(description="note, candidate, application, interview, scorecard or offer.")
    target_id: str
    actor: str
    summary: str | None = Field(None, description="For changes: what changed, e.g. `stage: Applied → Screen`.")
    body: str | None = Field(None, description="For notes: the note's text.")
    visibility: Visibility | None = Field(None, description="For notes.")
