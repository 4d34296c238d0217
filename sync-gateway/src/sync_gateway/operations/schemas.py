"""Dead-letter bodies."""
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator


class LetterStatus(StrEnum):
    open = "open"
    replayed = "replayed"
    discarded = "discarded"


class DeadLetterRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    consumer: str = Field(description="The consumer group that could not apply the record.")
    topic: str
    partition: int
    offset: int
    event_id: str | None = Field(description="The CloudEvent id (`ce_id`), when the record had one.")
    event_type: str | None
    headers: list[list[str]] = Field(description="The record's headers as [name, value] pairs.")
    value: str | None = Field(description="The record's value as text (as it was on the topic).")
    error: str = Field(description="Why it could not be applied.")
    attempts: int
    status: LetterStatus = Field(description="`open`; `replayed` (sent to its topic again) or `discarded`.")
    resolved_by: str | None = Field(description="Who replayed or discarded it.")
    created_at: datetime
    updated_at: datetime

    @field_validator("value", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        return value.decode(errors="replace") if isinstance(value, bytes) else value
