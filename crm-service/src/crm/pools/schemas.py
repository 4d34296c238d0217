"""Pool bodies."""
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm.pools.models import DEFAULT_STAGES

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]


class PoolCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    stages: list[Name] = Field(default_factory=lambda: list(DEFAULT_STAGES), min_length=1, max_length=30,
                               description="Talent stages in order; default: " + ", ".join(DEFAULT_STAGES) + ".")
    sequence_id: uuid.UUID | None = Field(None, description="Nurture sequence new members may be enrolled in.")


class PoolUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    description: Annotated[str, StringConstraints(max_length=2000)] | None = None
    sequence_id: uuid.UUID | None = None


class PoolStageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    position: int


class PoolRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    description: str | None
    kind: str = Field(description="`regular`, or `silver_medalists` for the built-in pool of late-stage ATS rejections.")
    sequence_id: uuid.UUID | None
    stages: list[PoolStageRead]
    version: int
    created_at: datetime
    updated_at: datetime


class MemberAdd(BaseModel):
    model_config = ConfigDict(extra="forbid")
    prospect_id: uuid.UUID
    stage_id: uuid.UUID | None = Field(None, description="Default: the pool's first stage.")


class MemberMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    to_stage_id: uuid.UUID
    from_stage_id: uuid.UUID | None = Field(None, description="If given, 409 when the prospect is no longer there.")


class MemberRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    pool_id: uuid.UUID
    prospect_id: uuid.UUID
    stage: PoolStageRead
    version: int
    added_at: datetime
    updated_at: datetime
    added_by: str


class VelocityTransition(BaseModel):
    from_stage: str
    to_stage: str
    count: int
    median_days: float


class PoolVelocity(BaseModel):
    pool_id: uuid.UUID
    pool_name: str | None
    transitions: list[VelocityTransition]
