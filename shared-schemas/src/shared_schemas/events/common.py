"""Building blocks shared by ATS and CRM payloads."""
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class PersonProfile(BaseModel):
    """The profile fields both systems keep for a person (the synced catalogue's core)."""

    model_config = ConfigDict(extra="ignore")

    first_name: str
    last_name: str
    emails: list[str] = Field(default_factory=list, description="Normalized (lower-case) addresses, primary first.")
    phones: list[str] = Field(default_factory=list)
    location: str | None = None
    headline: str | None = None
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
