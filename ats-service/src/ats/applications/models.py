"""The Application aggregate owns its rules: which moves are allowed, rejection, hire, transfer; each change
appends to its stage history, bumps the version once and records its event (`ats.application.*.v1`)."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

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
from talentkit.uow import RecordsEvents

from ats.db import Base
from ats.jobs.models import JobStage, StageKind


class ApplicationStatus(StrEnum):
    ACTIVE = "active"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    HIRED = "hired"


class HrisStatus(StrEnum):
    PENDING = "pending"  # hired; the hand-off to the HRIS is queued or being retried
    SENT = "sent"  # the HRIS has the employee (`hris_employee_id`)
    FAILED = "failed"  # gave up (`hris_error`); POST .../hris-handoff/retry queues it again


class RejectKind(StrEnum):
    WE_REJECTED = "we_rejected"
    THEY_WITHDREW = "they_withdrew"
    NONE_SPECIFIED = "none_specified"


class RejectReason(RecordsEvents, Base):
    __tablename__ = "reject_reasons"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text, unique=True)
    kind: Mapped[RejectKind] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @classmethod
    def define(cls, name: str, kind: RejectKind) -> RejectReason:
        """A new reason recruiters pick from (audited; no public event)."""
        reason = cls(id=uuid.uuid4(), name=name, kind=kind, created_at=datetime.now(UTC))
        reason.record_event("ats.reject_reason.created.internal", internal=True, sequence=1,
                            data={"id": reason.id, "name": name, "kind": kind},
                            changes={"name": {"before": None, "after": name}, "kind": {"before": None, "after": kind}})
        return reason

    def ref(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "kind": self.kind}


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


class Application(RecordsEvents, Base):
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
    # When an offer of the application was accepted (set by the offers' `ats.offer.accepted.v1`): hireable from then.
    offer_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    applied_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # the hand-off of a hire to the HRIS (see `ats.hris`)
    work_email: Mapped[str | None] = mapped_column(Text)
    hris_status: Mapped[HrisStatus | None] = mapped_column(Text)
    hris_error: Mapped[str | None] = mapped_column(Text)
    hris_employee_id: Mapped[str | None] = mapped_column(Text)
    hris_synced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the latest background check, in one word (set from its events: see `applications.handlers`)
    background_check_status: Mapped[str | None] = mapped_column(Text)
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
              actor: str, talent_pool_consent: dict[str, Any] | None = None) -> Application:
        """A new application in the job's first stage (with the talent-pool consent given on the careers form)."""
        now = datetime.now(UTC)
        app = cls(id=uuid.uuid4(), candidate_id=candidate_id, job_id=first_stage.job_id, stage_id=first_stage.id,
                  stage=first_stage, status=ApplicationStatus.ACTIVE, source=source, referrer=referrer, applied_at=now,
                  hire_override=False, version=1, created_by=actor, updated_by=actor, history=[])
        app._enter(first_stage, None, "applied", actor, now)
        changes: dict[str, Any] = {
            "job_id": {"before": None, "after": app.job_id}, "candidate_id": {"before": None, "after": candidate_id},
            "stage_id": {"before": None, "after": first_stage.id}}
        if talent_pool_consent:
            changes["talent_pool_consent"] = {"before": None, "after": talent_pool_consent}
        app.record_event("ats.application.created.v1", changes=changes,
                         data={"application": app.snapshot(), "talent_pool_consent": talent_pool_consent})
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
        self._happened("ats.application.stage_changed.v1", {"from_stage": left.ref(), "to_stage": to.ref()},
                       {"stage": {"before": left.name, "after": to.name}})
        return left

    def reject(self, reason: RejectReason, notes: str | None, actor: str) -> None:
        """Reject (or record a withdrawal, when the reason's kind is `they_withdrew`)."""
        self._require(ApplicationStatus.ACTIVE, "reject")
        self.status = ApplicationStatus.WITHDRAWN if reason.kind == RejectKind.THEY_WITHDREW else ApplicationStatus.REJECTED
        self.reject_reason_id, self.reject_notes = reason.id, notes
        self.rejected_at = datetime.now(UTC)
        self._touch(actor)
        self._happened("ats.application.rejected.v1", {"reason": reason.ref(), "notes": notes, "stage": self.stage.ref()},
                       {"status": {"before": ApplicationStatus.ACTIVE, "after": self.status},
                        "reject_reason": {"before": None, "after": reason.name}, "notes": {"before": None, "after": notes}})

    def unreject(self, actor: str) -> None:
        if self.status not in (ApplicationStatus.REJECTED, ApplicationStatus.WITHDRAWN):
            raise Conflict(f"Only a rejected or withdrawn application can be unrejected; this one is {self.status}.")
        before = self.status
        self.status = ApplicationStatus.ACTIVE
        self.reject_reason_id = self.reject_notes = self.rejected_at = None
        self._touch(actor)
        self._happened("ats.application.unrejected.v1", {}, {"status": {"before": before, "after": self.status}})

    def offer_accepted(self, at: datetime) -> None:
        """An offer of this application was accepted: it can be hired from any stage."""
        self.offer_accepted_at = self.offer_accepted_at or at

    def hire(self, hired_stage: JobStage | None, *, start_date: date | None, override: bool,
             override_reason: str | None = None, work_email: str | None = None, actor: str) -> JobStage:
        """Hire from the offer stage, with an accepted offer, or with an explicit (audited) override; the hand-off
        to the HRIS is pending from then."""
        self._require(ApplicationStatus.ACTIVE, "hire")
        if hired_stage is None:
            raise Conflict("The job has no stage of kind `hired`; add one first.")
        if not (self.stage.kind == StageKind.OFFER or self.offer_accepted_at or override):
            raise Conflict("Hire from a stage of kind `offer` or after an accepted offer, or send `override: true`.",
                           current_stage_kind=str(self.stage.kind))
        left = self.stage
        self._enter(hired_stage, left, "hired", actor)
        self.status, self.hired_at, self.start_date, self.hire_override = (
            ApplicationStatus.HIRED, datetime.now(UTC), start_date, override)
        before_hris, self.work_email = self.hris_status, work_email
        self.hris_status, self.hris_error, self.hris_employee_id, self.hris_synced_at = HrisStatus.PENDING, None, None, None
        changes: dict[str, Any] = {"status": {"before": "active", "after": "hired"},
                                   "stage": {"before": left.name, "after": hired_stage.name},
                                   "start_date": {"before": None, "after": start_date},
                                   "hris_status": {"before": before_hris, "after": self.hris_status}}
        if override:
            changes["hire_override"] = {"before": False, "after": True, "reason": override_reason}
        self._happened("ats.application.hired.v1", {"start_date": start_date, "override": override,
                                                    "from_stage": left.ref()}, changes)
        return left

    def unhire(self, back_to: JobStage, actor: str) -> None:
        """Back to `back_to` (normally the stage it was hired from), active again. After the HRIS has the
        employee, the HRIS is not changed: an alert event says the two now disagree."""
        self._require(ApplicationStatus.HIRED, "unhire")
        hired = self.stage
        self._enter(back_to, hired, "unhired", actor)
        self.status, self.hired_at, self.start_date, self.hire_override = ApplicationStatus.ACTIVE, None, None, False
        handed_off, employee = self.hris_status == HrisStatus.SENT, self.hris_employee_id
        changes: dict[str, Any] = {"status": {"before": "hired", "after": "active"},
                                   "stage": {"before": hired.name, "after": back_to.name}}
        if not handed_off and self.hris_status is not None:  # the queued hand-off is called off
            changes["hris_status"] = {"before": self.hris_status, "after": None}
            self.hris_status = self.hris_error = None
        self._happened("ats.application.unhired.v1", {}, changes)
        if handed_off:
            self.record_event("ats.application.unhired_after_handoff.v1", data={
                "application_id": self.id, "candidate_id": self.candidate_id, "job_id": self.job_id,
                "hris_employee_id": employee, "application": self.snapshot()},
                changes={"hris_status": {"before": HrisStatus.SENT, "after": HrisStatus.SENT},
                         "alert": {"before": None, "after": "unhired after the HRIS received the employee"}})

    # --- the HRIS hand-off -----------------------------------------------------------------------------------

    def handed_off(self, employee_id: str, at: datetime, actor: str) -> None:
        """The HRIS created (or already had) the employee."""
        if self.hris_status != HrisStatus.PENDING:
            return  # unhired meanwhile, or already recorded: nothing to say twice
        self.hris_status, self.hris_employee_id, self.hris_synced_at, self.hris_error = HrisStatus.SENT, employee_id, at, None
        self._touch(actor)
        self._happened("ats.application.hris_synced.v1", {"hris_employee_id": employee_id, "synced_at": at},
                       {"hris_status": {"before": HrisStatus.PENDING, "after": HrisStatus.SENT},
                        "hris_employee_id": {"before": None, "after": employee_id}})

    def handoff_failed(self, error: str, actor: str) -> None:
        """The hand-off gave up after its last attempt (or the HRIS refused it)."""
        if self.hris_status != HrisStatus.PENDING:
            return
        self.hris_status, self.hris_error = HrisStatus.FAILED, error
        self._touch(actor)
        self.version += 1
        self.record_event("ats.application.hris_failed.internal", internal=True, data={"application_id": self.id},
                          changes={"hris_status": {"before": HrisStatus.PENDING, "after": HrisStatus.FAILED},
                                   "hris_error": {"before": None, "after": error}})

    def retry_handoff(self, actor: str) -> None:
        """Queue a failed hand-off again."""
        if self.hris_status != HrisStatus.FAILED:
            raise Conflict(f"Only a failed hand-off can be retried; this one is {self.hris_status or 'not started'}.",
                           hris_status=str(self.hris_status) if self.hris_status else None)
        self.hris_status = HrisStatus.PENDING
        self._touch(actor)
        self.version += 1
        self.record_event("ats.application.hris_retried.internal", internal=True, data={"application_id": self.id},
                          changes={"hris_status": {"before": HrisStatus.FAILED, "after": HrisStatus.PENDING}})

    def transfer(self, first_stage_of_new_job: JobStage, actor: str) -> tuple[uuid.UUID, JobStage]:
        """Move to another job's first stage; returns the old job id and the stage left."""
        self._require(ApplicationStatus.ACTIVE, "transfer")
        if first_stage_of_new_job.job_id == self.job_id:
            raise Conflict("The application is already in this job.")
        old_job, left = self.job_id, self.stage
        self.job_id = first_stage_of_new_job.job_id
        self._enter(first_stage_of_new_job, left, "transferred", actor)
        self.version += 1
        self.record_event("ats.application.transferred.v1", data={
            "application_id": self.id, "candidate_id": self.candidate_id, "from_job_id": old_job,
            "to_job_id": self.job_id, "from_stage": left.ref(), "to_stage": self.stage.ref(),
            "application": self.snapshot()}, changes={
            "job_id": {"before": str(old_job), "after": str(self.job_id)},
            "stage": {"before": left.name, "after": self.stage.name}})
        return old_job, left

    def merged_candidate(self, survivor_id: uuid.UUID, actor: str) -> None:
        """The candidate was merged into `survivor_id`: the application (with its history) belongs to them now."""
        before, self.candidate_id = self.candidate_id, survivor_id
        self._touch(actor)
        self.version += 1
        self.record_event("ats.application.candidate_merged.internal", internal=True, data={"application_id": self.id},
                          changes={"candidate_id": {"before": before, "after": survivor_id}})

    def background_check_moved(self, check: dict[str, Any]) -> None:
        """Show the latest background check's state: its decision, else its result, else its status."""
        self.background_check_status = check.get("adjudication") or check.get("result") or check["status"]

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

    def _happened(self, event_type: str, data: dict[str, Any], changes: dict[str, Any]) -> None:
        """One version per action, and its event: the application's ids, `data` and the application after it."""
        self.version += 1
        self.record_event(event_type, changes=changes, data={
            "application_id": self.id, "candidate_id": self.candidate_id, "job_id": self.job_id, **data,
            "application": self.snapshot()})

    def snapshot(self) -> dict[str, object]:
        return {"id": self.id, "candidate_id": self.candidate_id, "job_id": self.job_id, "stage": self.stage.ref(),
                "status": self.status, "source": self.source, "referrer": self.referrer, "version": self.version,
                "applied_at": self.applied_at}
