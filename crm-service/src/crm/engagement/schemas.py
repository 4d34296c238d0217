"""Engagement bodies."""
import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field


class ContributionRead(BaseModel):
    kind: str = Field(description="open, click, reply or page_visit.")
    at: datetime
    weight: float
    decayed: float = Field(description="The weight after exponential decay to `computed_at`.")


class EngagementRead(BaseModel):
    prospect_id: uuid.UUID
    score: float
    level: str = Field(description="cold, warm or hot (thresholds `CRM_ENGAGEMENT_WARM_THRESHOLD`/`_HOT_THRESHOLD`).")
    computed_at: datetime
    half_life_days: float
    contributions: list[ContributionRead]


class RankedProspect(BaseModel):
    prospect_id: uuid.UUID
    first_name: str | None
    last_name: str | None
    owner: str | None
    score: float
    level: str


class Order(StrEnum):
    DESC = "-score"
    ASC = "score"


class Level(StrEnum):
    COLD = "cold"
    WARM = "warm"
    HOT = "hot"


class ReportRow(BaseModel):
    sequence_id: uuid.UUID
    step_index: int
    variant: str | None
    sent: int
    delivered: int = Field(description="Sent and not bounced.")
    opened: int = Field(description="Messages opened at least once.")
    clicked: int = Field(description="Messages with at least one tracked click.")
    replied: int = Field(description="Messages answered by a human (auto-replies excluded).")


class EngagementReport(BaseModel):
    data: list[ReportRow]
