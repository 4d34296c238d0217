"""Saved search bodies."""
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm.search.schemas import Mode

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class SearchFilters(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pool_id: uuid.UUID | None = None
    stage: Annotated[str, StringConstraints(max_length=100)] | None = None
    tags: list[Annotated[str, StringConstraints(max_length=50)]] = Field(default_factory=list, max_length=20)
    status: Annotated[str, StringConstraints(max_length=20)] | None = None
    location: Annotated[str, StringConstraints(max_length=200)] | None = None


class SavedSearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    q: Annotated[str, StringConstraints(min_length=1, max_length=1000)] = Field(
        description="The query, as for `GET /v1/search/prospects`.")
    mode: Mode = Mode.BOOLEAN
    filters: SearchFilters = Field(default_factory=SearchFilters)
    alerts: bool = Field(True, description="Raise a `saved_search_matches` alert when new prospects match.")
    recipient: Name | None = Field(None, description="Who gets the alerts (default: the On-Behalf-Of user, else the key).")


class SavedSearchRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    q: str
    mode: Mode
    filters: SearchFilters
    alerts: bool
    recipient: str
    checked_at: datetime | None = Field(description="When new matches were last looked for.")
    version: int
    created_at: datetime
    created_by: str
