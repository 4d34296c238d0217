"""Bulk push bodies."""
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from crm.saved_searches.schemas import SearchFilters
from crm.search.schemas import Mode


class BulkPushCreate(BaseModel):
    """Either `prospect_ids`, or a search (`q`, `mode`, `filters`) whose first `limit` results are pushed."""

    model_config = ConfigDict(extra="forbid")
    job_id: uuid.UUID = Field(description="The ATS job.")
    prospect_ids: list[uuid.UUID] | None = Field(None, max_length=500)
    q: Annotated[str, StringConstraints(min_length=1, max_length=1000)] | None = None
    mode: Mode = Mode.BOOLEAN
    filters: SearchFilters = Field(default_factory=SearchFilters)
    limit: int = Field(50, ge=1, le=500, description="How many of the search's results (best first).")

    @model_validator(mode="after")
    def _one_selection(self) -> "BulkPushCreate":
        if (self.prospect_ids is None) == (self.q is None):
            raise ValueError("give either `prospect_ids` or `q`")
        return self


class BulkPushItemRead(BaseModel):
    prospect_id: uuid.UUID
    outcome: str = Field(description="`pending` (not handled yet), `requested` (a push was made: see `push_id` and "
                                     "`push_status`), `skipped` (see `reason`: erased, merged, excluded, no email, …) "
                                     "or `failed`.")
    push_id: uuid.UUID | None = None
    push_status: str | None = Field(None, description="The push's own status: requested, succeeded or failed.")
    reason: str | None = None


class BulkPushRead(BaseModel):
    id: uuid.UUID
    job_id: uuid.UUID
    status: str = Field(description="`running` or `done`.")
    total: int
    processed: int
    progress: float = Field(description="processed / total (1 when there is nothing to do).")
    outcomes: dict[str, int] = Field(description="How many items have each outcome.")
    requested_by: str
    created_at: datetime
    finished_at: datetime | None
    version: int
    items: list[BulkPushItemRead]
