"""Rank-and-grade bodies."""
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class RankedApplication(BaseModel):
    application_id: uuid.UUID
    candidate_id: uuid.UUID
    applied_at: datetime
    score: int = Field(ge=0, le=100, description="0-100 by the documented formula (see the operation).")
    grade: Literal["A", "B", "C", "D"] = Field(description="A >= 80, B >= 60, C >= 40, else D.")
    reasons: list[str] = Field(description="Readable reasons, one per criterion.")
    breakdown: dict[str, Any] = Field(description="`must_have` {matched, missing}, `nice_to_have` {matched}, `years` "
                                                  "{required, found}, `similarity` (0-1 or null), `location` {required, matched}.")
