"""Audit trail bodies."""
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AuditEventRead(BaseModel):
    """One audited write."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    occurred_at: datetime
    actor: str = Field(description="Principal that made the write (API key name, `admin`, `sync-gateway`).")
    on_behalf_of: str | None = Field(description="The user named in the `On-Behalf-Of` header, if any.")
    request_id: str | None
    causation_id: str | None = Field(description="The event that caused the write, for writes made by the gateway.")
    action: str = Field(description="e.g. `candidate.updated`, `application.moved`, `offer.approved`.")
    target_type: str
    target_id: str
    changes: dict[str, Any] = Field(validation_alias="recorded_changes", description=(
        "Changed fields: `{field: {before, after}}`. Personal values (names, contact points, free text) are kept "
        "outside the hashed entry and disappear when the person is erased."))
    subject_id: str | None = Field(description="The candidate the entry is about, if any.")
    personal_data_erased: bool = Field(description="True when the entry's personal values were erased with its subject "
                                                   "(the entry still verifies: it keeps their digest).")
    personal_digest: str | None = Field(description="sha256 of a salt and the personal values, part of the hashed entry.")
    prev_hash: str
    hash: str


class VerificationRead(BaseModel):
    ok: bool
    checked: int = Field(description="Entries verified.")
    first_broken_id: int | None = Field(description="The first entry whose hash or link does not hold.")
    reason: str | None
