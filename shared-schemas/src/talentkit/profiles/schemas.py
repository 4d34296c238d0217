"""Request and response bodies for a profile (one, or a batch); inputs are normalized (emails lower-case, sets
de-duplicated)."""
from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    PrivateAttr,
    StringConstraints,
    TypeAdapter,
    ValidationError,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    create_model,
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


# -- batches ---------------------------------------------------------------------------------------------------
MAX_BATCH_ITEMS = 500
CausationId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
IdempotencyKey = Annotated[str, StringConstraints(min_length=1, max_length=255)]
SYNC_ONLY = " Only for credentials holding `sync:origin` (the sync gateway); others get 403 for the whole batch."


class InvalidItem:
    """A batch item that failed validation: its pydantic errors, answered as that item's 422."""

    def __init__(self, errors: list[Any]) -> None:
        self.errors = errors


def _item_errors(errors: list[Any]) -> list[Any]:
    """Locations relative to the item: `body.<field>` for the body (as the single endpoint names them), else
    `item.<field>` (the item's own fields); the union's tag (`create`/`update`) is left out."""
    out = []
    for e in errors:
        loc = tuple(e.get("loc", ()))
        if loc and loc[0] in ("create", "update"):
            loc = loc[1:]
        elif e.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            loc = ("op",)
        out.append({**e, "loc": loc if loc[:1] == ("body",) else ("item", *loc)})
    return out


def _keep_item_errors(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    """Validate one item; an invalid item becomes an `InvalidItem` instead of failing the whole batch."""
    try:
        item = handler(value)
    except ValidationError as exc:
        return InvalidItem(_item_errors(exc.errors(include_url=False)))
    item._raw_body = value.get("body") if isinstance(value, dict) else None
    return item


class _BatchItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    _raw_body: Any = PrivateAttr(None)  # the body as sent: its idempotency hash matches the single endpoint's

    source_time: AwareDatetime | None = Field(None, description="When the change happened at its source (ISO 8601 "
                                              "with offset): the item's `Source-Time`." + SYNC_ONLY)
    causation_id: CausationId | None = Field(None, description="The event that caused this write (the item's "
                                             "`Causation-Id`); stamped on the event it emits.")


CreateOp = Literal["create"]
UpdateOp = Literal["update"]


def batch_schemas(*, create: type[BaseModel], patch: type[BaseModel], out: type[BaseModel],
                  noun: str) -> tuple[type[BaseModel], type[BaseModel]]:
    """The request and response bodies of `POST <collection>/batch` for one profile resource."""
    name = noun.capitalize()
    create_item = create_model(
        f"{name}BatchCreate", __base__=_BatchItem, __doc__=f"Create a {noun}, exactly as `POST` of one would.",
        op=(CreateOp, Field(description="`create`")),
        body=(create, Field(description=f"The new {noun}, as for a single create.")),
        idempotency_key=(IdempotencyKey | None, Field(None, description=(
            "As the `Idempotency-Key` header of a single create, and sharing its keys: a retry (in this or a later "
            "batch, or as a single POST) answers the first result with `replayed: true`; the same key with another "
            "body is 422. Keys are scoped to your credential."))),
        unless_email_taken=(bool, Field(False, description=(
            f"When true and a {noun} already holds one of the body's emails, nothing is created: the item answers "
            f"`200` with that {noun} (the oldest holding the first such email, as `GET` with `?email=` lists it) "
            f"and `existing: true`. Saves the lookup before a create when you match people by email."))))
    update_item = create_model(
        f"{name}BatchUpdate", __base__=_BatchItem, __doc__=f"Change a {noun}, exactly as `PATCH` of one would.",
        op=(UpdateOp, Field(description="`update`")),
        id=(uuid.UUID, Field(description=f"The {noun} to change.")),
        if_match=(str | None, Field(None, max_length=200, description=(
            "The `ETag` you last read (e.g. `\"3\"`), as the `If-Match` header: missing is 428, stale is 412."))),
        body=(patch, Field(description="Fields to change; leave out what should stay.")),
        field_times=(dict[str, AwareDatetime] | None, Field(None, description=(
            "When each changed field changed at its source (the item's `Source-Field-Times`)." + SYNC_ONLY))))
    item = Annotated[create_item | update_item, Field(discriminator="op"), WrapValidator(_keep_item_errors)]

    batch_in = create_model(
        f"{name}Batch", __config__=ConfigDict(extra="forbid"),
        __doc__=f"Up to {MAX_BATCH_ITEMS} creates and updates of {noun}s, applied in order.",
        items=(list[item], Field(min_length=1, max_length=MAX_BATCH_ITEMS, description=(  # type: ignore[valid-type]
            f"1 to {MAX_BATCH_ITEMS} items; each is `{{\"op\": \"create\", \"body\": ...}}` or "
            f"`{{\"op\": \"update\", \"id\": ..., \"if_match\": ..., \"body\": ...}}`."))))
    result = create_model(
        f"{name}BatchResult", __doc__="One item's outcome, in the order sent.",
        index=(int, Field(description="The item's position in `items` (from 0).")),
        status=(int, Field(description="The HTTP status the item would have had on its own: 201 created, 200 updated (or found: `existing`), "
                                       "or the error's (404, 409, 410, 412, 422, 428).")),
        etag=(str | None, Field(None, description=f"The {noun}'s new `ETag`, for its next update.")),
        location=(str | None, Field(None, description=f"Where the created {noun} lives.")),
        replayed=(bool, Field(False, description="The answer stored for this `idempotency_key`; nothing was written now.")),
        existing=(bool, Field(False, description=f"A create with `unless_email_taken` found this {noun} and created "
                                                 "nothing (status 200).")),
        body=(out | None, Field(None, description=f"The {noun} as stored, when the item succeeded.")),  # type: ignore[arg-type]  # `out` is a class given at run time
        problem=(dict[str, Any] | None, Field(None, description=(
            "When the item failed: the problem document (RFC 9457) a single request would have got, with `errors` "
            "naming each field at fault (`location` is `body` for the item's body, `item` for its own fields)."))))
    batch_out = create_model(
        f"{name}BatchOut", __doc__="Every item's outcome, in the order sent.",
        results=(list[result], ...),  # type: ignore[valid-type]
        succeeded=(int, Field(description="Items that were applied (or replayed).")),
        failed=(int, Field(description="Items refused; nothing of them was stored.")))
    return batch_in, batch_out
