"""Message bodies."""
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class MessageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    enrollment_id: uuid.UUID
    prospect_id: uuid.UUID
    sequence_id: uuid.UUID
    step_index: int
    channel: str
    variant: str | None
    state: str = Field(description="claimed, sent, blocked (see `missing_tokens`), cancelled, bounced, or failed "
                                   "(every send attempt failed: see `error` and `attempts`).")
    sender: str | None
    recipient: str | None
    subject: str | None
    body: str | None = Field(description="The text part as sent (an SMS or task: its text); links are tracking links.")
    body_html: str | None = Field(None, description="The HTML part of an email as sent.")
    links: list[str] = Field(default_factory=list, description="The links the sequence author wrote, in order: a "
                                                               "tracked link leads to one of these and nowhere else.")
    message_id_header: str | None
    missing_tokens: list[str]
    error: str | None
    attempts: int = Field(0, description="Failed send attempts so far (the step is parked as `failed` at the cap).")
    next_attempt_at: datetime | None = Field(None, description="When a failed send is tried again.")
    claimed_at: datetime | None
    sent_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class ReplyIn(BaseModel):
    """An inbound reply to a message, as the mail gateway parsed it."""

    model_config = ConfigDict(extra="forbid")
    subject: str | None = Field(None, max_length=1000)
    headers: dict[str, str] = Field(default_factory=dict, description="e.g. `{\"Auto-Submitted\": \"auto-replied\"}`.")


class ReplyOut(BaseModel):
    counted: bool = Field(description="False for an auto-reply (out-of-office), which does not stop the sequence.")


class BounceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    diagnostic: str | None = Field(None, max_length=2000, description="e.g. `550 5.1.1 user unknown`.")
