"""Jobs with their own ordered pipeline stages; the job's rules (open, close, reopen, stage edits) live here."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Integer, Text, UniqueConstraint, func
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import Conflict

from ats.db import Base


class JobStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class StageKind(StrEnum):
    """Pipeline order: applied < screen < interview < offer < hired."""

    APPLIED = "applied"
    SCREEN = "screen"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"

    @property
    def rank(self) -> int:
        return list(StageKind).index(self)


DEFAULT_STAGES = (("Applied", StageKind.APPLIED), ("Screen", StageKind.SCREEN), ("Interview", StageKind.INTERVIEW),
                  ("Final interview", StageKind.INTERVIEW), ("Offer", StageKind.OFFER), ("Hired", StageKind.HIRED))


class JobStage(Base):
    __tablename__ = "job_stages"
    __table_args__ = (UniqueConstraint("job_id", "name", name="uq_job_stages_job_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[StageKind] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def ref(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "position": self.position}


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    employment_type: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    recruiter: Mapped[str | None] = mapped_column(Text)
    hiring_manager: Mapped[str | None] = mapped_column(Text)
    openings: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[JobStatus] = mapped_column(Text, default=JobStatus.DRAFT)
    close_reason: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    stages: Mapped[list[JobStage]] = relationship(order_by=JobStage.position, lazy="selectin", cascade="all, delete-orphan")

    def touch(self, actor: str) -> None:
        self.version += 1
        self.updated_at = datetime.now(UTC)
        self.updated_by = actor

    def open(self, actor: str) -> bool:
        """Open for applications; True if this is a reopen."""
        if self.status == JobStatus.OPEN:
            raise Conflict("The job is already open.")
        reopened = self.status == JobStatus.CLOSED
        self.status, self.close_reason, self.closed_at = JobStatus.OPEN, None, None
        self.opened_at = self.opened_at if reopened and self.opened_at else datetime.now(UTC)
        self.touch(actor)
        return reopened

    def close(self, reason: str, actor: str) -> None:
        if self.status != JobStatus.OPEN:
            raise Conflict(f"Only an open job can be closed; this one is {self.status}.")
        self.status, self.close_reason, self.closed_at = JobStatus.CLOSED, reason, datetime.now(UTC)
        self.touch(actor)

    def stage(self, stage_id: uuid.UUID) -> JobStage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def first_stage(self) -> JobStage:
        return self.stages[0]

    def hired_stage(self) -> JobStage | None:
        return next((s for s in self.stages if s.kind == StageKind.HIRED), None)

    def renumber(self) -> None:
        """Positions 0..n-1 in pipeline order, and the list itself in that order."""
        self.stages.sort(key=lambda s: s.position)
        for i, s in enumerate(self.stages):
            s.position = i

    def snapshot(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "department": self.department, "location": self.location,
                "employment_type": self.employment_type, "recruiter": self.recruiter,
                "hiring_manager": self.hiring_manager, "openings": self.openings, "status": self.status,
                "close_reason": self.close_reason, "stages": [s.ref() for s in sorted(self.stages, key=lambda s: s.position)],
                "version": self.version, "opened_at": self.opened_at, "closed_at": self.closed_at}
