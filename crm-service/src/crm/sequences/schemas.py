"""Sequence bodies."""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PlainSerializer,
    PlainValidator,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from crm.sequences.personalize import malformed

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


_WALL_TIME = r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?$"
MAX_GAP_SECONDS = 86_400
MAX_DAILY_CAP = 100_000


def _wall_time(value: Any) -> time:
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if not isinstance(value, str) or not re.match(_WALL_TIME, value):
        raise ValueError("a local wall time like `09:00` or `17:30:00`, without a UTC offset: the window is in each "
                         "recipient's time zone (the enrollment's `timezone`)")
    return time.fromisoformat(value)


LocalTime = Annotated[time, PlainValidator(_wall_time), PlainSerializer(lambda t: t.isoformat(), return_type=str),
                      WithJsonSchema({"type": "string", "pattern": _WALL_TIME, "examples": ["09:00", "17:30:00"],
                                      "description": "A local wall time `HH:MM[:SS]` in the recipient's time zone "
                                                     "(the enrollment's `timezone`); no UTC offset. Returned as `HH:MM:SS`."})]


def _template(value: str | None) -> str | None:
    if value is not None and malformed(value):
        raise ValueError("a `{{` or `}}` that is not a token like `{{first_name}}`")
    return value


def _workdays() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri"]


class SendWindowIn(BaseModel):
    """Local hours in the recipient's time zone, e.g. 09:00–17:00 Mon–Fri."""

    model_config = ConfigDict(extra="forbid")
    start: LocalTime = time(9)
    end: LocalTime = time(17)
    days: list[Weekday] = Field(default_factory=_workdays, min_length=1)

    @model_validator(mode="after")
    def _order(self) -> SendWindowIn:
        if self.start >= self.end:
            raise ValueError("`start` must be before `end`")
        return self


BODY = ("Plain text, always (a `<` or `>` in it, or in a token's value, is just a character). Tokens like "
        "`{{first_name}}` are filled in as written. The http(s) links you write here are tracked; a token's value "
        "never becomes a link. For an email without `body_html` the HTML part is made from this text (escaped, "
        "links clickable, line breaks kept). An SMS or a task sends exactly this text.")
BODY_HTML = ("Optional, email only: the HTML part, written as HTML. Token values are HTML-escaped (inside an `href`, "
             "percent-encoded), so personal data can never add markup or links; the `href=\"http(s)://…\"` links "
             "you write are tracked. The text part is still `body`: write both so every mail client shows the mail.")


class VariantIn(BaseModel):
    """One A/B variant of a step; each enrollment gets one, always the same."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(min_length=1, max_length=50)]
    subject: Text | None = None
    body: Text = Field(description=BODY)
    body_html: Text | None = Field(None, description=BODY_HTML)
    weight: int = Field(1, ge=1, le=100)

    _check = field_validator("subject", "body", "body_html")(classmethod(lambda cls, v: _template(v)))


class StepIn(BaseModel):
    """One step: `email` (needs `subject`), `sms` or `task` (a to-do for the recruiter)."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["email", "sms", "task"]
    delay: int = Field(0, ge=0, le=365, description="Wait after the previous step (or enrollment) in `delay_unit`.")
    delay_unit: Literal["days", "business_days"] = "days"
    subject: Text | None = Field(None, description="Plain text; tokens allowed. Required for an email.")
    body: Text = Field(description=BODY)
    body_html: Text | None = Field(None, description=BODY_HTML)
    variants: list[VariantIn] = Field(default_factory=list, max_length=5,
                                      description="Optional A/B variants replacing subject/body/body_html.")

    _check = field_validator("subject", "body", "body_html")(classmethod(lambda cls, v: _template(v)))

    @model_validator(mode="after")
    def _html_only_in_email(self) -> StepIn:
        if self.kind != "email" and (self.body_html or any(v.body_html for v in self.variants)):
            raise ValueError("`body_html` is for email steps only")
        return self

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
    daily_cap: int | None = Field(None, ge=1, le=MAX_DAILY_CAP, description="Most emails per day from the sender mailbox.")
    min_gap_seconds: int = Field(0, ge=0, le=MAX_GAP_SECONDS,
                                 description="Least time between two sends from the sender mailbox (at most a day).")


class SequenceUpdate(BaseModel):
    """Fields to change; a change to steps, window or holidays creates a new version."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    steps: Steps | None = None
    send_window: SendWindowIn | None = None
    holidays: list[date] | None = None
    sender_mailbox: EmailStr | None = None
    daily_cap: int | None = Field(None, ge=1, le=MAX_DAILY_CAP)
    min_gap_seconds: int | None = Field(None, ge=0, le=MAX_GAP_SECONDS)

    @field_validator("name", "steps", "send_window", "holidays", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; leave the field out to keep it")
        return value


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
