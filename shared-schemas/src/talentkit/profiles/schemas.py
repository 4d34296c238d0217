"""Request and response bodies for a profile; inputs are normalized (emails lower-case, sets de-duplicated)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
)

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Text200 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Tag = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)]
_PHONE = re.compile(r"^\+?[0-9][0-9 ()./-]{2,28}[0-9]$")


def _phone(value: str) -> str:
    value = value.strip()
    if not _PHONE.match(value):
        raise ValueError("not a phone number: use digits, spaces, ( ) . / - and an optional leading +")
    return value


def _unique(values: list) -> list:  # type: ignore[type-arg]
    return list(dict.fromkeys(values))


def _emails(values: list[str]) -> list[str]:
    return _unique([v.lower() for v in values])


_HTTP_URL = TypeAdapter(AnyHttpUrl)
Url = Annotated[str, StringConstraints(max_length=500), AfterValidator(lambda v: str(_HTTP_URL.validate_python(v)))]
Links = Annotated[list[Url], Field(max_length=20, description="Profile links (LinkedIn, GitHub, portfolio)."),
                  AfterValidator(lambda v: list(dict.fromkeys(v)))]
Phone = Annotated[str, AfterValidator(_phone)]
Emails = Annotated[list[EmailStr], Field(max_length=20, description="Email addresses, primary first. Stored lower-case, without duplicates."), AfterValidator(_emails)]
Phones = Annotated[list[Phone], Field(max_length=20, description="Phone numbers, e.g. `+44 20 7946 0958`."), AfterValidator(_unique)]
Tags = Annotated[list[Tag], Field(max_length=50, description="Free labels, without duplicates."), AfterValidator(_unique)]


class ProfileIn(BaseModel):
    """Fields a client may set when creating a person. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    first_name: Name
    last_name: Name
    emails: Emails = []
    phones: Phones = []
    location: Text200 | None = Field(None, description="Free text, e.g. `Berlin, Germany`.")
    headline: Text200 | None = Field(None, description="One line, e.g. `Senior backend engineer`.")
    tags: Tags = []
    source: str | None = None


class ProfilePatch(BaseModel):
    """Fields to change; absent fields stay as they are. Lists replace the whole list."""

    model_config = ConfigDict(extra="forbid")

    first_name: Name | None = None
    last_name: Name | None = None
    emails: Emails | None = None
    phones: Phones | None = None
    location: Text200 | None = None
    headline: Text200 | None = None
    tags: Tags | None = None
    source: str | None = None

    @field_validator("first_name", "last_name", "emails", "phones", "tags", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may not be null; send [] to clear a list, or leave the field out")
        return value


class ProfileOut(BaseModel):
    """A person as stored. `version` matches the `ETag`; send it back in `If-Match` to update."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    first_name: str
    last_name: str
    emails: list[str]
    phones: list[str]
    location: str | None
    headline: str | None
    tags: list[str]
    source: str | None
    version: int
    field_times: dict[str, datetime] = Field(description="When each field last changed at its source; used to resolve concurrent edits (latest wins).")
    created_at: datetime
    updated_at: datetime
    created_by: str = Field(description="Principal that created the record.")
    updated_by: str = Field(description="Principal that last changed the record.")
