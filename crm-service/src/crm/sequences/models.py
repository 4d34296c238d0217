"""A Sequence and its immutable versions: editing the steps, window or holidays makes a new version; running
enrollments keep the version they started with."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base
from crm.sequences.schedule import SendWindow, due_at

DEFINITION = ("steps", "send_window", "holidays")
SETTINGS = ("name", "sender_mailbox", "daily_cap", "min_gap_seconds")


class Sequence(Base):
    __tablename__ = "sequences"
    __table_args__ = (Index("ix_sequences_created", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    sender_mailbox: Mapped[str | None] = mapped_column(Text)
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    min_gap_seconds: Mapped[int] = mapped_column(Integer, default=0)
    current_version: Mapped[int] = mapped_column(Integer, default=1)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def create(cls, values: dict[str, Any], actor: str) -> tuple[Sequence, SequenceVersion]:
        """A new sequence with its first version."""
        now = datetime.now(UTC)
        seq = cls(id=uuid.uuid4(), current_version=1, version=1, created_at=now, updated_at=now, created_by=actor,
                  updated_by=actor, min_gap_seconds=values.get("min_gap_seconds") or 0,
                  **{k: values.get(k) for k in SETTINGS if k != "min_gap_seconds"})
        return seq, SequenceVersion.of(seq.id, 1, values)

    def edit(self, values: dict[str, Any], current: SequenceVersion, actor: str) -> tuple[dict[str, Any], SequenceVersion | None]:
        """Apply changed fields; a changed definition becomes the next version. Returns (changes, new version or None)."""
        changes = {k: {"before": getattr(self, k), "after": v} for k, v in values.items()
                   if k in SETTINGS and getattr(self, k) != v}
        for k, c in changes.items():
            setattr(self, k, c["after"] if not (k == "min_gap_seconds" and c["after"] is None) else 0)
        merged = {k: values.get(k, current.definition()[k]) for k in DEFINITION}
        new = None
        if merged != current.definition():
            changes["sequence_version"] = {"before": self.current_version, "after": self.current_version + 1}
            self.current_version += 1
            new = SequenceVersion.of(self.id, self.current_version, merged)
        if changes:
            self.version += 1
            self.updated_at, self.updated_by = datetime.now(UTC), actor
        return changes, new


class SequenceVersion(Base):
    __tablename__ = "sequence_versions"
    __table_args__ = (UniqueConstraint("sequence_id", "number", name="uq_sequence_versions_sequence_number"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    send_window: Mapped[dict[str, Any]] = mapped_column(JSONB)
    holidays: Mapped[list[str]] = mapped_column(JSONB, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @classmethod
    def of(cls, sequence_id: uuid.UUID, number: int, values: dict[str, Any]) -> SequenceVersion:
        d = {k: values[k] for k in DEFINITION}
        return cls(id=uuid.uuid4(), sequence_id=sequence_id, number=number, steps=d["steps"], send_window=d["send_window"],
                   holidays=[str(h) for h in d["holidays"]])

    def definition(self) -> dict[str, Any]:
        return {"steps": self.steps, "send_window": self.send_window, "holidays": list(self.holidays)}

    def window(self) -> SendWindow:
        return SendWindow.from_dict(self.send_window)

    def holiday_dates(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(h) for h in self.holidays)

    def step_due(self, index: int, after: datetime, tz: ZoneInfo) -> datetime:
        """When step `index` is due, counting its delay from `after` (enrollment start or previous send)."""
        step = self.steps[index]
        return due_at(after, delay=step["delay"], unit=step["delay_unit"], window=self.window(), tz=tz,
                      holidays=self.holiday_dates())
