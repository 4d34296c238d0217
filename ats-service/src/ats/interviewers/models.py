"""An interviewer's availability. The id is how interviews name them (an email or user id, lower-cased), so an
interview's `interviewers` and this calendar meet without a join table."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, time
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB, TSTZRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import NotFound
from talentkit.uow import RecordsEvents

from ats.db import Base


class BusyBlock(Base):
    """Time the interviewer cannot interview (another meeting, leave), besides their booked interviews."""

    __tablename__ = "interviewer_busy_blocks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    interviewer_id: Mapped[str] = mapped_column(ForeignKey("interviewers.id", ondelete="CASCADE"), index=True)
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @property
    def starts_at(self) -> datetime:
        return self.during.lower  # type: ignore[return-value]

    @property
    def ends_at(self) -> datetime:
        return self.during.upper  # type: ignore[return-value]


class Interviewer(RecordsEvents, Base):
    __tablename__ = "interviewers"

    id: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str | None] = mapped_column(Text)
    email: Mapped[str | None] = mapped_column(Text)  # where invitations go
    timezone: Mapped[str] = mapped_column(Text)
    # [{"weekday": 0-6 (Monday 0), "start": "09:00", "end": "17:00"}, ...] in `timezone`
    working_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    busy_blocks: Mapped[list[BusyBlock]] = relationship(lazy="selectin", cascade="all, delete-orphan",
                                                        order_by=BusyBlock.during)

    @classmethod
    def register(cls, interviewer_id: str, values: dict[str, Any], actor: str) -> Interviewer:
        """A new interviewer calendar."""
        now = datetime.now(UTC)
        me = cls(id=interviewer_id, version=1, created_at=now, updated_at=now, created_by=actor, updated_by=actor,
                 busy_blocks=[], **values)
        me._happened("created", {k: {"before": None, "after": v} for k, v in values.items()})
        return me

    def replace(self, values: dict[str, Any], actor: str) -> None:
        """New name, email, zone and working hours (busy blocks stay)."""
        changes = {k: {"before": getattr(self, k), "after": v} for k, v in values.items() if getattr(self, k) != v}
        for k, c in changes.items():
            setattr(self, k, c["after"])
        if changes:
            self._touch(actor)
            self._happened("updated", changes)

    def add_busy(self, starts_at: datetime, ends_at: datetime, reason: str | None, actor: str) -> BusyBlock:
        block = BusyBlock(id=uuid.uuid4(), interviewer_id=self.id, during=Range(starts_at, ends_at, bounds="[)"),
                          reason=reason, created_at=datetime.now(UTC))
        self.busy_blocks.append(block)
        self._touch(actor)
        self._happened("busy_added", {"busy_block": {"before": None, "after": {
            "id": block.id, "starts_at": starts_at, "ends_at": ends_at, "reason": reason}}})
        return block

    def remove_busy(self, block_id: uuid.UUID, actor: str) -> None:
        block = next((b for b in self.busy_blocks if b.id == block_id), None)
        if block is None:
            raise NotFound(f"Interviewer {self.id} has no busy block {block_id}.")
        self.busy_blocks.remove(block)
        self._touch(actor)
        self._happened("busy_removed", {"busy_block": {"before": {"id": block.id}, "after": None}})

    def hours(self) -> list[tuple[int, time, time]]:
        """Working hours as (weekday, start, end)."""
        return [(h["weekday"], time.fromisoformat(h["start"]), time.fromisoformat(h["end"])) for h in self.working_hours]

    def _touch(self, actor: str) -> None:
        self.version += 1
        self.updated_at, self.updated_by = datetime.now(UTC), actor

    def _happened(self, what: str, changes: dict[str, Any]) -> None:
        # availability stays inside the ATS (no contract); the audit trail keeps every change
        self.record_event(f"ats.interviewer.{what}.internal", internal=True, data={"interviewer_id": self.id},
                          changes=changes)
