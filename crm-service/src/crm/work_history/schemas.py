"""Work history bodies."""
import uuid
from datetime import date
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator
from talentkit.profiles.schemas import Text200

Company = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class PositionIn(BaseModel):
    """A position: the company, the title, and when it started and ended (no `ended_on`: held still)."""

    model_config = ConfigDict(extra="forbid")

    company: Company
    title: Text200 | None = None
    started_on: date
    ended_on: date | None = None

    @model_validator(mode="after")
    def _ends_after_it_starts(self) -> Self:
        if self.ended_on is not None and self.ended_on < self.started_on:
            raise ValueError("ended_on is before started_on")
        return self


class WorkHistoryIn(BaseModel):
    """The whole work history (it replaces the one stored)."""

    model_config = ConfigDict(extra="forbid")

    positions: list[PositionIn] = Field(max_length=50)


class PositionRead(PositionIn):
    model_config = ConfigDict(from_attributes=True)


class WorkHistoryRead(BaseModel):
    prospect_id: uuid.UUID
    positions: list[PositionRead] = Field(description="Latest start first.")
