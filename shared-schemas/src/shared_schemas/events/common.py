"""Building blocks shared by ATS and CRM payloads."""
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from shared_schemas.personal import PERSONAL


class PersonProfile(BaseModel):
    """The profile fields both systems keep for a person (the synced catalogue's core)."""

    model_config = ConfigDict(extra="ignore")

    first_name: str = Field(json_schema_extra=PERSONAL)
    last_name: str = Field(json_schema_extra=PERSONAL)
    emails: list[str] = Field(default_factory=list, description="Normalized (lower-case) addresses, primary first.",
                              json_schema_extra=PERSONAL)
    phones: list[str] = Field(default_factory=list, json_schema_extra=PERSONAL)
    location: str | None = Field(None, json_schema_extra=PERSONAL)
    headline: str | None = Field(None, json_schema_extra=PERSONAL)
    tags: list[str] = Field(default_factory=list)
    source: str | None = None
    links: list[str] = Field(default_factory=list, description="Profile links (LinkedIn, GitHub, portfolio).")


class PersonSnapshot(PersonProfile):
    """A person's full state after a change, so consumers never need to call back."""

    id: UUID
    version: int = Field(description="Per-record version; equals the event's `sequence`.")
    created_at: datetime
    updated_at: datetime
    field_times: dict[str, datetime] = Field(
        default_factory=dict,
        description="When each field last changed at its source (used for latest-wins under `two_way`).",
    )


class FieldChange(BaseModel):
    """One field's value before and after a change."""

    before: Any = None
    after: Any = None
