"""Openness bodies."""
import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class Signal(BaseModel):
    signal: str
    value: float | None = Field(description="The signal's measure (null: unknown, e.g. no current company).")
    points: int
    reason: str | None = Field(description="Why it earned points (null when it earned none).")


class OpennessRead(BaseModel):
    prospect_id: uuid.UUID
    score: int = Field(ge=0, le=100)
    max_score: int
    computed_at: datetime
    reasons: list[str]
    signals: list[Signal]
