"""Report bodies."""
import uuid

from pydantic import BaseModel, Field


class FunnelStage(BaseModel):
    stage_id: uuid.UUID
    name: str
    kind: str
    reached: int = Field(description="Applications that reached this stage or a later one.")
    conversion_to_next: float | None = Field(description="reached(next) / reached(this); null for the last stage.")


class Funnel(BaseModel):
    job_id: uuid.UUID
    applications: int
    stages: list[FunnelStage]


class Durations(BaseModel):
    job_id: uuid.UUID | None
    count: int
    median_days: float | None
    p90_days: float | None = Field(description="90th percentile (nearest rank).")


class SourceCount(BaseModel):
    source: str | None = Field(description="The application's `source`; null when none was given.")
    applications: int
    hires: int


class Sources(BaseModel):
    job_id: uuid.UUID | None
    sources: list[SourceCount]
