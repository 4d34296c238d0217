"""The Interview aggregate owns its rules (times, who may be rescheduled or cancelled, when feedback completes it)
and records its events (`ats.interview.*.v1`);
interviewer slots hold each interviewer's busy time, guarded by an exclusion constraint."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, TSTZRANGE, Range
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import Conflict, Forbidden, Unprocessable, field_error
from talentkit.uow import RecordsEvents

from ats.applications.models import Application, ApplicationStatus
from ats.db import Base
from ats.jobs.models import JobStage

MAX_DURATION = timedelta(hours=12)


class InterviewStatus(StrEnum):
    SCHEDULED = "scheduled"
    AWAITING_FEEDBACK = "awaiting_feedback"
    COMPLETE = "complete"
    CANCELLED = "cancelled"


class InterviewerSlot(Base):
    """One interviewer busy for one interview. The migration adds the exclusion constraint
    `ex_interviewer_slots_no_double_booking` (interviewer WITH =, during WITH &&): overlapping slots of the same
    interviewer can never both commit, whatever the concurrency."""

    __tablename__ = "interviewer_slots"

    interview_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interviews.id", ondelete="CASCADE"), primary_key=True)
    interviewer: Mapped[str] = mapped_column(Text, primary_key=True)
    during: Mapped[Range[datetime]] = mapped_column(TSTZRANGE)


class Interview(RecordsEvents, Base):
    __tablename__ = "interviews"
    __table_args__ = (Index("ix_interviews_interviewers", "interviewers", postgresql_using="gin"),
                      Index("ix_interviews_created", "created_at", "id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_stages.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    timezone: Mapped[str] = mapped_column(Text)
    interviewers: Mapped[list[str]] = mapped_column(ARRAY(Text))
    location: Mapped[str | None] = mapped_column(Text)
    video_link: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InterviewStatus] = mapped_column(Text, default=InterviewStatus.SCHEDULED)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # RFC 5545 SEQUENCE of the invitations sent: raised by every reschedule and the cancel
    calendar_sequence: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    application: Mapped[Application] = relationship(lazy="selectin")

    @classmethod
    def schedule(cls, *, application: Application, stage: JobStage, starts_at: datetime, ends_at: datetime,
                 timezone: str, interviewers: list[str], location: str | None, video_link: str | None,
                 actor: str) -> Interview:
        """A new interview for an active application, in a stage of the application's job."""
        if application.status != ApplicationStatus.ACTIVE:
            raise Conflict(f"Interviews need an active application; this one is {application.status}.",
                           application_status=str(application.status))
        if stage.job_id != application.job_id:
            raise Unprocessable("The stage belongs to another job.",
                                errors=[field_error("stage_id", "not a stage of the application's job")])
        _check_times(starts_at, ends_at)
        now = datetime.now(UTC)
        interview = cls(id=uuid.uuid4(), application_id=application.id, application=application, stage_id=stage.id,
                        starts_at=starts_at, ends_at=ends_at, timezone=timezone, interviewers=interviewers,
                        location=location, video_link=video_link, status=InterviewStatus.SCHEDULED, version=1,
                        calendar_sequence=0,
                        created_at=now, updated_at=now, created_by=actor, updated_by=actor)
        given = {"application_id": application.id, "stage_id": stage.id, "starts_at": starts_at, "ends_at": ends_at,
                 "timezone": timezone, "interviewers": interviewers, "location": location, "video_link": video_link}
        interview.record_event("ats.interview.scheduled.v1", data={"interview": interview.snapshot()},
                               changes={k: {"before": None, "after": v} for k, v in given.items()})
        return interview

    @property
    def current_status(self) -> InterviewStatus:
        """The status as a reader sees it: a scheduled interview that has ended is awaiting feedback."""
        if self.status == InterviewStatus.SCHEDULED and self.ends_at <= datetime.now(UTC):
            return InterviewStatus.AWAITING_FEEDBACK
        return InterviewStatus(self.status)

    def reschedule(self, starts_at: datetime, ends_at: datetime, timezone: str | None, actor: str) -> tuple[datetime, datetime]:
        """New times (and zone); returns the previous start and end. Only before any feedback arrived (the
        interviewers' slots are booked again by `interviews.repository`)."""
        if self.status != InterviewStatus.SCHEDULED:
            raise Conflict(f"Only a scheduled interview without feedback can be rescheduled; this one is {self.current_status}.",
                           interview_status=str(self.current_status))
        _check_times(starts_at, ends_at)
        previous, zone = (self.starts_at, self.ends_at), self.timezone
        self.starts_at, self.ends_at = starts_at, ends_at
        self.timezone = timezone or self.timezone
        self.calendar_sequence += 1
        self._touch(actor)
        self.record_event("ats.interview.rescheduled.v1", data={
            "interview": self.snapshot(), "previous_starts_at": previous[0], "previous_ends_at": previous[1]}, changes={
            "starts_at": {"before": previous[0], "after": starts_at}, "ends_at": {"before": previous[1], "after": ends_at},
            "timezone": {"before": zone, "after": self.timezone}})
        return previous

    def cancel(self, reason: str, actor: str) -> None:
        if self.status in (InterviewStatus.COMPLETE, InterviewStatus.CANCELLED):
            raise Conflict(f"Cannot cancel an interview that is {self.status}.", interview_status=str(self.status))
        before = self.current_status
        self.status, self.cancel_reason = InterviewStatus.CANCELLED, reason
        self.calendar_sequence += 1
        self._touch(actor)
        self.record_event("ats.interview.cancelled.v1", data={"interview": self.snapshot(), "reason": reason},
                          changes={"status": {"before": before, "after": self.status},
                                   "cancel_reason": {"before": None, "after": reason}})

    def accepts_feedback_from(self, interviewer: str) -> None:
        """Raise unless `interviewer` (the caller, see `ats.users.acting_user`) may submit a scorecard for it."""
        if interviewer.lower() not in self.interviewers:
            raise Forbidden(f"{interviewer} is not an interviewer of this interview: scorecards are filed by (or on "
                            "behalf of, with `On-Behalf-Of`) one of its interviewers.", reason="not_an_interviewer")
        if self.status == InterviewStatus.CANCELLED:
            raise Conflict("The interview was cancelled; it takes no scorecards.", interview_status=str(self.status))

    def feedback_received(self, submitted_by: set[str], actor: str) -> InterviewStatus:
        """Complete once every interviewer has submitted, else awaiting feedback; returns the status before."""
        before = self.current_status
        self.status = (InterviewStatus.COMPLETE if set(self.interviewers) <= submitted_by
                       else InterviewStatus.AWAITING_FEEDBACK)
        if self.status != before:
            self._touch(actor)
            # inside the ATS only: integrators learn of feedback from `ats.scorecard.submitted.v1`
            self.record_event(f"ats.interview.{self.status}.internal", internal=True, data={"interview_id": self.id},
                              changes={"status": {"before": before, "after": self.status}})
        return before

    def during(self) -> Range[datetime]:
        """The interview's time as a half-open range: back-to-back interviews do not clash."""
        return Range(self.starts_at, self.ends_at, bounds="[)")

    def _touch(self, actor: str) -> None:
        self.version += 1
        self.updated_at = datetime.now(UTC)
        self.updated_by = actor

    def snapshot(self) -> dict[str, object]:
        return {"id": self.id, "application_id": self.application_id, "candidate_id": self.application.candidate_id,
                "job_id": self.application.job_id, "stage_id": self.stage_id, "starts_at": self.starts_at,
                "ends_at": self.ends_at, "timezone": self.timezone, "interviewers": list(self.interviewers),
                "location": self.location, "video_link": self.video_link, "status": self.current_status,
                "version": self.version}


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise Unprocessable("The interview must end after it starts.", errors=[field_error("ends_at", "must be after starts_at")])
    if ends_at - starts_at > MAX_DURATION:
        raise Unprocessable("An interview lasts at most 12 hours.", errors=[field_error("ends_at", "at most 12 hours after starts_at")])
