"""A pool owns its stages; a membership carries the prospect's stage in that pool and moves through it."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import Conflict, Unprocessable, field_error

from crm.db import Base

DEFAULT_STAGES = ("identified", "contacted", "engaged", "interested", "nurturing", "silver_medalist", "applied",
                  "hired", "not_interested")
SILVER_MEDALISTS_POOL_ID = uuid.UUID("00000000-0000-4000-8000-00000000c0de")


class PoolStage(Base):
    __tablename__ = "pool_stages"
    __table_args__ = (UniqueConstraint("pool_id", "name", name="uq_pool_stages_pool_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)

    def ref(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "position": self.position}


class Pool(Base):
    __tablename__ = "pools"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text, unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(Text, default="regular")  # regular | silver_medalists (built in)
    sequence_id: Mapped[uuid.UUID | None] = mapped_column()  # the pool's nurture sequence, if any
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    stages: Mapped[list[PoolStage]] = relationship(order_by=PoolStage.position, lazy="selectin", cascade="all, delete-orphan")

    def stage(self, stage_id: uuid.UUID | None = None, *, name: str | None = None) -> PoolStage | None:
        return next((s for s in self.stages if (stage_id and s.id == stage_id) or (name and s.name == name)), None)

    def require_stage(self, stage_id: uuid.UUID, field: str = "to_stage_id") -> PoolStage:
        stage = self.stage(stage_id)
        if stage is None:
            raise Unprocessable("Not a stage of this pool.", errors=[field_error(field, "unknown stage for this pool")])
        return stage


class PoolMember(Base):
    """A prospect in a pool, at one of its stages."""

    __tablename__ = "pool_members"

    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"), primary_key=True)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True, index=True)
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pool_stages.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    added_by: Mapped[str] = mapped_column(Text)
    stage: Mapped[PoolStage] = relationship(lazy="selectin")

    def move(self, to: PoolStage, expected_from: uuid.UUID | None) -> PoolStage:
        """Move to another stage of the pool; 409 when `expected_from` is given and no longer true."""
        if expected_from is not None and expected_from != self.stage_id:
            raise Conflict("The prospect is no longer in `from_stage_id`; reload and retry.", current_stage_id=str(self.stage_id))
        if to.id == self.stage_id:
            raise Conflict("The prospect is already in this stage.")
        left = self.stage
        self.stage_id, self.stage = to.id, to
        self.version += 1
        self.updated_at = datetime.now(UTC)
        return left
