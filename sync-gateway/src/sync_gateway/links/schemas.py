"""Link bodies."""
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class LinkRead(BaseModel):
    """The same person in both systems."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ats_candidate_id: uuid.UUID | None
    crm_prospect_id: uuid.UUID | None
    matched_by: str = Field(description="`email` (found in the CRM by email), `created_in_crm` (the gateway created the prospect), or `explicit`.")
    confidence: float = Field(description="1.0 for an exact email match or a record the gateway created.")
    caused_by_event: str | None = Field(description="Id of the event that made the link.")
    created_at: datetime
    updated_at: datetime
