"""Bodies of the reply webhook and page visits."""
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import (
    AliasChoices,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    field_validator,
    model_validator,
)
from pydantic.functional_validators import AfterValidator

_HTTP_URL = TypeAdapter(AnyHttpUrl)
Url = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
                AfterValidator(lambda v: (_HTTP_URL.validate_python(v), v)[1])]
Short = Annotated[str, StringConstraints(max_length=1000)]


class InboundEmail(BaseModel):
    """An email received for the CRM's mailboxes, as the mail gateway parsed it. Give `in_reply_to` (the
    `In-Reply-To` header), or `message_id` (the CRM message id, or the Message-ID of the email answered)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    message_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = None
    in_reply_to: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)] | None = None
    from_address: Short | None = Field(None, validation_alias=AliasChoices("from", "from_address"),
                                       serialization_alias="from", description="The `From` of the reply.")
    subject: Short | None = None
    headers: dict[Annotated[str, StringConstraints(max_length=200)], Annotated[str, StringConstraints(max_length=4000)]] = Field(
        default_factory=dict, max_length=200, description="e.g. `{\"Auto-Submitted\": \"auto-replied\"}`.")
    text: Annotated[str, StringConstraints(max_length=100_000)] | None = None

    @model_validator(mode="after")
    def _one_reference(self) -> "InboundEmail":
        if not self.message_id and not self.in_reply_to and not any(
                k.lower() in ("in-reply-to", "references") for k in self.headers):
            raise ValueError("give message_id or in_reply_to")
        return self


class InboundResult(BaseModel):
    message_id: uuid.UUID
    prospect_id: uuid.UUID
    counted: bool = Field(description="False for an auto-reply, which is recorded but does not stop the sequence.")
    auto_reply: bool


class PageVisitIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: Url
    at: datetime | None = Field(None, description="When (ISO 8601 with offset); now if left out.")

    @field_validator("at")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("needs a UTC offset")
        return v


class PageVisitRead(BaseModel):
    id: uuid.UUID
    prospect_id: uuid.UUID
    kind: str
    url: str
    occurred_at: datetime
