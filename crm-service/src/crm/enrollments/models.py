"""The Enrollment aggregate owns its state machine:
scheduled → active → completed; scheduled|active ⇄ paused; exited (with a reason) from any running state."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict
from talentkit.uow import RecordsEvents

from crm.db import Base


class EnrollmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    EXITED = "exited"


RUNNING = frozenset({EnrollmentStatus.SCHEDULED, EnrollmentStatus.ACTIVE, EnrollmentStatus.PAUSED})
EXIT_REASONS = ("manual", "reply", "erased", "unsubscribed", "bounced", "consent_missing", "suppressed", "applied", "hired",
                "sequence_archived", "send_failed")


TOPIC = "crm.enrollments"


class Enrollment(RecordsEvents, Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        Index("uq_enrollments_one_running_per_prospect", "prospect_id", unique=True,
              postgresql_where=text("status IN ('scheduled', 'active', 'paused')")),
        Index("ix_enrollments_due", "next_due_at", postgresql_where=text("status IN ('scheduled', 'active')")),
        Index("ix_enrollments_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id"), index=True)
    sequence_version: Mapped[int] = mapped_column(Integer)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(Text, default=EnrollmentStatus.SCHEDULED)
    exit_reason: Mapped[str | None] = mapped_column(Text)
    pause_reason: Mapped[str | None] = mapped_column(Text)
    timezone: Mapped[str] = mapped_column(Text, default="UTC")
    variables: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    next_step: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def start(cls, *, sequence_id: uuid.UUID, sequence_version: int, prospect_id: uuid.UUID, timezone: str,
              variables: dict[str, Any], first_due: datetime, actor: str) -> Enrollment:
        """A new enrollment, scheduled for its first step; records `crm.enrollment.started.v1`."""
        now = datetime.now(UTC)
        enrollment = cls(id=uuid.uuid4(), sequence_id=sequence_id, sequence_version=sequence_version,
                         prospect_id=prospect_id, status=EnrollmentStatus.SCHEDULED, timezone=timezone,
                         variables=variables, next_step=0, next_due_at=first_due, version=1, created_at=now,
                         updated_at=now, created_by=actor, updated_by=actor)
        enrollment.record_event("crm.enrollment.started.v1", topic=TOPIC, data={"enrollment": enrollment.snapshot()},
                                changes={"status": {"before": None, "after": str(EnrollmentStatus.SCHEDULED)}})
        return enrollment

    @property
    def running(self) -> bool:
        return self.status in RUNNING

    def pause(self, reason: str, actor: str) -> None:
        """Stop the clock; `resume` picks up at the same step."""
        self._require({EnrollmentStatus.SCHEDULED, EnrollmentStatus.ACTIVE}, "pause")
        self.status, self.pause_reason, self.next_due_at = EnrollmentStatus.PAUSED, reason, None
        self._touch(actor)

    def resume(self, due: datetime, actor: str) -> None:
        """Continue with the pending step at `due`."""
        self._require({EnrollmentStatus.PAUSED}, "resume")
        self.status = EnrollmentStatus.ACTIVE if self.next_step > 0 else EnrollmentStatus.SCHEDULED
        self.pause_reason, self.next_due_at = None, due
        self._touch(actor)

    def exit(self, reason: str, actor: str, at: datetime | None = None) -> None:
        """Leave the sequence for good (reply, unsubscribe, bounce, consent, ATS status, manual); records
        `crm.enrollment.exited.v1`."""
        self._require(RUNNING, "exit")
        before = str(self.status)
        self.status, self.exit_reason, self.next_due_at = EnrollmentStatus.EXITED, reason, None
        self.ended_at = at or datetime.now(UTC)
        self._touch(actor)
        self.record_event("crm.enrollment.exited.v1", topic=TOPIC, data={"enrollment": self.snapshot(), "reason": reason},
                          changes={"status": {"before": before, "after": str(EnrollmentStatus.EXITED)},
                                   "exit_reason": {"before": None, "after": reason}})

    def move_to(self, prospect_id: uuid.UUID, actor: str) -> None:
        """A merge: the survivor carries on with this enrollment."""
        self.prospect_id = prospect_id
        self._touch(actor)

    def step_done(self, at: datetime, next_due: datetime | None, actor: str) -> None:
        """The pending step went out: move to the next one (due at `next_due`), or complete after the last."""
        self._require({EnrollmentStatus.SCHEDULED, EnrollmentStatus.ACTIVE}, "advance")
        self.next_step += 1
        self.last_sent_at = at
        if next_due is None:
            self.status, self.next_due_at, self.ended_at = EnrollmentStatus.COMPLETED, None, at
        else:
            self.status, self.next_due_at = EnrollmentStatus.ACTIVE, next_due
        self._touch(actor)

    def defer(self, until: datetime) -> None:
        """Push the pending step later (throttling); not a user-visible change."""
        self.next_due_at = until

    def _require(self, allowed: set[EnrollmentStatus] | frozenset[EnrollmentStatus], action: str) -> None:
        if self.status not in allowed:
            raise Conflict(f"Cannot {action} an enrollment that is {self.status} (allowed from: {', '.join(sorted(allowed))}).",
                           enrollment_status=str(self.status))

    def _touch(self, actor: str) -> None:
        self.version += 1
        self.updated_at, self.updated_by = datetime.now(UTC), actor

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "sequence_id": self.sequence_id, "sequence_version": self.sequence_version,
                "prospect_id": self.prospect_id, "status": self.status, "exit_reason": self.exit_reason,
                "version": self.version}
