"""The Application aggregate owns its rules: which moves are allowed, rejection, hire, transfer; each change
appends to its stage history."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import Conflict, Unprocessable, field_error

from ats.db import Base
from ats.jobs.models import JobStage, StageKind


class ApplicationStatus(StrEnum):
    ACTIVE = "active"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    HIRED = "hired"


class RejectKind(StrEnum):
    WE_REJECTED = "we_rejected"
    THEY_WITHDREW = "they_withdrew"
    NONE_SPECIFIED = "none_specified"


class RejectReason(Base):
    __tablename__ = "reject_reasons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[RejectKind] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class StageHistory(Base):
    """One stay of an application in a stage: entered, exited (null while there), how and by whom."""

    __tablename__ = "stage_history"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    from_stage_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("job_stages.id"))
    to_stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_stages.id"), index=True)
    action: Mapped[str] = mapped_column(Text)  # applied | moved | hired | unhired | transferred
    entered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    exited_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)


class Application(Base):
    __tablename__ = "applications"
    __table_args__ = (UniqueConstraint("candidate_id", "job_id", name="uq_applications_candidate_job"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidates.id"), index=True)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id"), index=True)
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_stages.id"), index=True)
    status: Mapped[ApplicationStatus] = mapped_column(Text, default=ApplicationStatus.ACTIVE)
    source: Mapped[str | None] = mapped_column(Text)
    referrer: Mapped[str | None] = mapped_column(Text)
    reject_reason_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("reject_reasons.id"))
    reject_notes: Mapped[str | None] = mapped_column(Text)
    rejected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    hired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    start_date: Mapped[date | None] = mapped_column(Date)
    hire_override: Mapped[bool] = mapped_column(Boolean, default=False)
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    stage: Mapped[JobStage] = relationship(lazy="selectin")
    history: Mapped[list[StageHistory]] = relationship(order_by=StageHistory.entered_at, lazy="selectin",
                                                       cascade="all, delete-orphan")

    @classmethod
    def start(cls, *, candidate_id: uuid.UUID, first_stage: JobStage, source: str | None, referrer: str | None,
              actor: str) -> Application:
        """A new application in the job's first stage."""
        now = datetime.now(UTC)
        app = cls(id=uuid.uuid4(), candidate_id=candidate_id, job_id=first_stage.job_id, stage_id=first_stage.id,
                  stage=first_stage, status=ApplicationStatus.ACTIVE, source=source, referrer=referrer, applied_at=now,
                  version=1, created_by=actor, updated_by=actor, history=[])
        app._enter(first_stage, None, "applied", actor, now)
        return app

    # --- the state machine -----------------------------------------------------------------------------------

    def move(self, from_stage_id: uuid.UUID, to: JobStage, actor: str) -> JobStage:
        """Move forward or back within the job; returns the stage left. Not into `hired` (use hire)."""
        self._require(ApplicationStatus.ACTIVE, "move")
        if self.stage_id != from_stage_id:
            raise Conflict("The application is no longer in `from_stage_id`; reload it and retry.",
                           current_stage_id=str(self.stage_id))
        if to.job_id != self.job_id:
            raise Unprocessable("The target stage belongs to another job.", errors=[field_error("to_stage_id", "not a stage of this application's job")])
        if to.kind == StageKind.HIRED:
            raise Conflict("Moving into the hired stage is a hire: use POST /v1/applications/{id}/hire.")
        if to.id == self.stage_id:
            raise Conflict("The application is already in this stage.", current_stage_id=str(self.stage_id))
        left = self.stage
        self._enter(to, left, "moved", actor)
        return left

    def reject(self, reason: RejectReason, notes: str | None, actor: str) -> None:
        """Reject (or record a withdrawal, when the reason's kind is `they_withdrew`)."""
        self._require(ApplicationStatus.ACTIVE, "reject")
        self.status = ApplicationStatus.WITHDRAWN if reason.kind == RejectKind.THEY_WITHDREW else ApplicationStatus.REJECTED
        self.reject_reason_id, self.reject_notes = reason.id, notes
        self.rejected_at = datetime.now(UTC)
        self._touch(actor)

    def unreject(self, actor: str) -> None:
        if self.status not in (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN):
            raise Conflict(f"Only a rejected or withdrawn application can be unrejected; this one is {self.status}.")
        self.status = ApplicationStatus.ACTIVE
        self.reject_reason_id = self.reject_notes = self.rejected_at = None
        self._touch(actor)

    def hire(self, hired_stage: JobStage | None, *, start_date: date | None, override: bool, offer_accepted: bool,
             actor: str) -> JobStage:
        """Hire from the offer stage, with an accepted offer, or with an explicit (audited) override."""
        self._require(ApplicationStatus.ACTIVE, "hire")
        if hired_stage is None:
            raise Conflict("The job has no stage of kind `hired`; add one first.")
        if not (self.stage.kind == StageKind.OFFER or offer_accepted or override):
            raise Conflict("Hire from a stage of kind `offer` or after an accepted offer, or send `override: true`.",
                           current_stage_kind=str(self.stage.kind))
        left = self.stage
        self._enter(hired_stage, left, "hired", actor)
        self.status, self.hired_at, self.start_date, self.hire_override = (
            ApplicationStatus.HIRED, datetime.now(UTC), start_date, override)
        return left

    def unhire(self, back_to: JobStage, actor: str) -> None:
        self._require(ApplicationStatus.HIRED, "unhire")
        self._enter(back_to, self.stage, "unhired", actor)
        self.status, self.hired_at, self.start_date, self.hire_override = ApplicationStatus.ACTIVE, None, None, False

    def transfer(self, first_stage_of_new_job: JobStage, actor: str) -> tuple[uuid.UUID, JobStage]:
        """Move to another job's first stage; returns the old job id and the stage left."""
        self._require(ApplicationStatus.ACTIVE, "transfer")
        if first_stage_of_new_job.job_id == self.job_id:
            raise Conflict("The application is already in this job.")
        old_job, left = self.job_id, self.stage
        self.job_id = first_stage_of_new_job.job_id
        self._enter(first_stage_of_new_job, left, "transferred", actor)
        return old_job, left

    def stage_before_hire(self) -> uuid.UUID | None:
        """The stage the application was in when it was hired."""
        hires = [h for h in self.history if h.action == "hired"]
        return hires[-1].from_stage_id if hires else None

    # --- internals -------------------------------------------------------------------------------------------

    def _require(self, status: ApplicationStatus, action: str) -> None:
        if self.status != status:
            raise Conflict(f"Cannot {action} an application that is {self.status} (must be {status}).",
                           application_status=str(self.status))

    def _enter(self, stage: JobStage, left: JobStage | None, action: str, actor: str, now: datetime | None = None) -> None:
        now = now or datetime.now(UTC)
        for h in self.history:
            if h.exited_at is None:
                h.exited_at = now
        self.history.append(StageHistory(id=uuid.uuid4(), application_id=self.id, job_id=stage.job_id,
                                         from_stage_id=left.id if left else None, to_stage_id=stage.id,
                                         action=action, entered_at=now, actor=actor))
        self.stage_id, self.stage = stage.id, stage
        self._touch(actor, now)

    def _touch(self, actor: str, now: datetime | None = None) -> None:
        self.updated_at = now or datetime.now(UTC)
        self.updated_by = actor

    def bump(self) -> None:
        """One version per committed change (called by the service once per action)."""
        self.version += 1

    def snapshot(self) -> dict[str, object]:
        return {"id": self.id, "candidate_id": self.candidate_id, "job_id": self.job_id, "stage": self.stage.ref(),
                "status": self.status, "source": self.source, "referrer": self.referrer, "version": self.version,
                "applied_at": self.applied_at}
