"""Sequence bodies."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from crm.sequences.personalize import malformed

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


def _template(value: str | None) -> str | None:
    if value is not None and malformed(value):
        raise ValueError("a `{{` or `}}` that is not a token like `{{first_name}}`")
    return value


class SendWindowIn(BaseModel):
    """Local hours in the recipient's time zone, e.g. 09:00–17:00 Mon–Fri."""

    model_config = ConfigDict(extra="forbid")
    start: time = time(9)
    end: time = time(17)
    days: list[Weekday] = Field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"], min_length=1)

    @model_validator(mode="after")
    def _order(self) -> SendWindowIn:
        if self.start >= self.end:
            raise ValueError("`start` must be before `end`")
        return self


class VariantIn(BaseModel):
    """One A/B variant of a step; each enrollment gets one, always the same."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    subject: Text | None = None
    body: Text
    weight: int = Field(1, ge=1, le=100)

    _check = field_validator("subject", "body")(classmethod(lambda cls, v: _template(v)))


class StepIn(BaseModel):
    """One step: `email` (needs `subject`), `sms` or `task` (a to-do for the recruiter)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["email", "sms", "task"]
    delay: int = Field(0, ge=0, le=365, description="Wait after the previous step (or enrollment) in `delay_unit`.")
    delay_unit: Literal["days", "business_days"] = "days"
    subject: Text | None = None
    body: Text
    variants: list[VariantIn] = Field(default_factory=list, max_length=5,
                                      description="Optional A/B variants replacing subject/body.")

    _check = field_validator("subject", "body")(classmethod(lambda cls, v: _template(v)))

    @model_validator(mode="after")
    def _subject(self) -> StepIn:
        if self.kind == "email" and not self.subject and not (self.variants and all(v.subject for v in self.variants)):
            raise ValueError("an email step needs a `subject`")
        return self


Steps = Annotated[list[StepIn], Field(min_length=1, max_length=50)]


class SequenceCreate(BaseModel):
    """A new sequence (version 1)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    steps: Steps
    send_window: SendWindowIn = Field(default_factory=SendWindowIn)
    holidays: list[date] = Field(default_factory=list, description="Dates that are neither business days nor open.")
    sender_mailbox: EmailStr | None = Field(None, description="From address; default `CRM_MAIL_FROM`.")
    daily_cap: int | None = Field(None, ge=1, description="Most emails per day from the sender mailbox.")
    min_gap_seconds: int = Field(0, ge=0, description="Least time between two sends from the sender mailbox.")


class SequenceUpdate(BaseModel):
    """Fields to change; a change to steps, window or holidays creates a new version."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    steps: Steps | None = None
    send_window: SendWindowIn | None = None
    holidays: list[date] | None = None
    sender_mailbox: EmailStr | None = None
    daily_cap: int | None = Field(None, ge=1)
    min_gap_seconds: int | None = Field(None, ge=0)


class SequenceRead(BaseModel):
    id: uuid.UUID
    name: str
    sequence_version: int = Field(description="The current definition version; enrollments keep theirs.")
    steps: list[StepIn]
    send_window: SendWindowIn
    holidays: list[date]
    sender_mailbox: str | None
    daily_cap: int | None
    min_gap_seconds: int
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str
