"""Conflict bodies."""
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ConflictRead(BaseModel):
    """A value the field policy overrode."""

    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    link_id: uuid.UUID | None = Field(description="Null once the person was erased.")
    field: str
    ats_value: Any = Field(description="The ATS's value (null after an erasure).")
    crm_value: Any = Field(description="The CRM's value (null after an erasure).")
    ats_time: datetime | None
    crm_time: datetime | None
    rule: str = Field(description="The mode that decided: two_way, prefer_crm_unless_blank, ats, ...")
    winner: str = Field(description="`ats` or `crm`: whose value stands.")
    event_id: str = Field(description="The event that triggered the decision.")
    created_at: datetime
    values_erased_at: datetime | None = Field(None, description="When the person was erased: both values were removed.")
