"""A pool owns its stages; a membership carries the prospect's stage in that pool and moves through it."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import DateTime, ForeignKey, Integer, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import Conflict, Unprocessable, field_error
from talentkit.uow import RecordsEvents

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


class PoolMember(RecordsEvents, Base):
    """A prospect in a pool, at one of its stages; joining and moving record `crm.pool.member_stage_changed.v1`."""

    __tablename__ = "pool_members"

    pool_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pools.id", ondelete="CASCADE"), primary_key=True)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True, index=True)
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("pool_stages.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    added_by: Mapped[str] = mapped_column(Text)
    stage: Mapped[PoolStage] = relationship(lazy="selectin")

    @property
    def id(self) -> uuid.UUID:
        """The aggregate id of its events: the prospect's (a person's stages in every pool form one stream)."""
        return self.prospect_id

    @classmethod
    def join(cls, pool: Pool, prospect_id: uuid.UUID, stage: PoolStage, actor: str) -> PoolMember:
        """The prospect enters the pool at `stage`."""
        now = datetime.now(UTC)
        member = cls(pool_id=pool.id, prospect_id=prospect_id, stage_id=stage.id, stage=stage, version=1, added_at=now,
                     updated_at=now, added_by=actor)
        member._stage_changed(pool, None, stage)
        return member

    def move(self, pool: Pool, to: PoolStage, expected_from: uuid.UUID | None) -> PoolStage:
        """Move to another stage of the pool; 409 when `expected_from` is given and no longer true."""
        if expected_from is not None and expected_from != self.stage_id:
            raise Conflict("The prospect is no longer in `from_stage_id`; reload and retry.", current_stage_id=str(self.stage_id))
        if to.id == self.stage_id:
            raise Conflict("The prospect is already in this stage.")
        left = self.stage
        self.stage_id, self.stage = to.id, to
        self.version += 1
        self.updated_at = datetime.now(UTC)
        self._stage_changed(pool, left, to)
        return left

    def _stage_changed(self, pool: Pool, left: PoolStage | None, to: PoolStage) -> None:
        self.record_event("crm.pool.member_stage_changed.v1", data={
            "pool_id": pool.id, "pool_name": pool.name, "prospect_id": self.prospect_id,
            "from_stage": left.ref() if left else None, "to_stage": to.ref()},
            changes={"stage": {"before": left.name if left else None, "after": to.name}})
