"""Timeline bodies."""
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints


class ActivityRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    prospect_id: uuid.UUID
    kind: str = Field(description="message_sent, message_opened, message_clicked, message_replied, page_visit, "
                                  "stage_changed, note, applied, hired, pushed_to_job, push_failed, …")
    visibility: str = Field(description="`public`, or `private` (only its author sees it).")
    summary: str
    data: dict[str, Any]
    actor: str | None
    occurred_at: datetime


class NoteCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10000)]
    visibility: Literal["public", "private"] = "public"
