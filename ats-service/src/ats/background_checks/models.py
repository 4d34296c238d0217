"""The BackgroundCheck aggregate: requested with consent → invited (at the provider) → pending → completed
(clear | consider) | suspended | cancelled. A `consider` result holds the hire until someone decides: engage (hire
may go on), or the adverse-action process: a pre-adverse notice, the waiting period, then the adverse action."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict
from talentkit.uow import RecordsEvents

from ats.db import Base


class CheckStatus(StrEnum):
    REQUESTED = "requested"
    INVITED = "invited"
    PENDING = "pending"
    COMPLETED = "completed"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


class Adjudication(StrEnum):
    ENGAGED = "engaged"
    PRE_ADVERSE_ACTION = "pre_adverse_action"
    ADVERSE_ACTION = "adverse_action"


# what the provider may move a check to, from where (a late or repeated webhook never moves it backwards)
PROVIDER_MOVES: dict[CheckStatus, frozenset[CheckStatus]] = {
    CheckStatus.INVITED: frozenset({CheckStatus.REQUESTED}),
    CheckStatus.PENDING: frozenset({CheckStatus.REQUESTED, CheckStatus.INVITED, CheckStatus.SUSPENDED}),
    CheckStatus.COMPLETED: frozenset({CheckStatus.REQUESTED, CheckStatus.INVITED, CheckStatus.PENDING, CheckStatus.SUSPENDED}),
    CheckStatus.SUSPENDED: frozenset({CheckStatus.INVITED, CheckStatus.PENDING}),
    CheckStatus.CANCELLED: frozenset({CheckStatus.REQUESTED, CheckStatus.INVITED, CheckStatus.PENDING, CheckStatus.SUSPENDED}),
}


class BackgroundCheck(RecordsEvents, Base):
    __tablename__ = "background_checks"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidates.id"), index=True)
    package: Mapped[str] = mapped_column(Text)
    consent_given_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    consent_text_version: Mapped[str] = mapped_column(Text)
    status: Mapped[CheckStatus] = mapped_column(Text, default=CheckStatus.REQUESTED)
    result: Mapped[str | None] = mapped_column(Text)
    provider_candidate_id: Mapped[str | None] = mapped_column(Text, unique=True)
    provider_invitation_id: Mapped[str | None] = mapped_column(Text)
    provider_report_id: Mapped[str | None] = mapped_column(Text)
    invitation_url: Mapped[str | None] = mapped_column(Text)
    adjudication: Mapped[Adjudication | None] = mapped_column(Text)
    adjudication_reason: Mapped[str | None] = mapped_column(Text)
    pre_adverse_notice_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    waiting_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    adverse_action_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def order(cls, *, application_id: uuid.UUID, candidate_id: uuid.UUID, package: str, consent_given_at: datetime,
              consent_text_version: str, actor: str) -> BackgroundCheck:
        """A new check, with the candidate's consent (the provider is asked after the commit)."""
        now = datetime.now(UTC)
        check = cls(id=uuid.uuid4(), application_id=application_id, candidate_id=candidate_id, package=package,
                    consent_given_at=consent_given_at, consent_text_version=consent_text_version,
                    status=CheckStatus.REQUESTED, version=1, created_at=now, updated_at=now, created_by=actor,
                    updated_by=actor)
        check.record_event("ats.background_check.requested.v1", data={"check": check.snapshot(),
                                                                      "consent_given_at": consent_given_at}, changes={
            "package": {"before": None, "after": package}, "status": {"before": None, "after": check.status},
            "consent": {"before": None, "after": {"given_at": consent_given_at, "text_version": consent_text_version}}})
        return check

    def invited(self, *, provider_candidate_id: str, invitation_id: str, invitation_url: str | None, actor: str) -> None:
        """The provider has the candidate and sent them its invitation."""
        self.provider_candidate_id, self.provider_invitation_id = provider_candidate_id, invitation_id
        self.invitation_url = invitation_url
        self.provider_moved(CheckStatus.INVITED, result=None, report_id=None, actor=actor)

    def provider_moved(self, status: CheckStatus, *, result: str | None, report_id: str | None, actor: str) -> bool:
        """The provider says the check is now `status`; False (and nothing recorded) when that is no move forward."""
        if self.status not in PROVIDER_MOVES[status]:
            return False
        before = self.status
        changes: dict[str, Any] = {"status": {"before": before, "after": status}}
        if status == CheckStatus.COMPLETED:
            changes["result"] = {"before": self.result, "after": result}
            self.result = result
        self.status = status
        self.provider_report_id = report_id or self.provider_report_id
        self._touch(actor)
        self.record_event("ats.background_check.status_changed.v1", changes=changes,
                          data={"check": self.snapshot(), "previous_status": before})
        return True

    def holds_hire(self) -> bool:
        """A `consider` result holds the hire until someone engages (an adverse action holds it for good)."""
        return self.result == "consider" and self.adjudication != Adjudication.ENGAGED

    def engage(self, reason: str | None, actor: str) -> None:
        """Decide to go on with the candidate despite the `consider` result: the hire is free again."""
        self._needs_decision()
        if self.adjudication == Adjudication.ADVERSE_ACTION:
            raise Conflict("An adverse action was taken; the decision is final.", adjudication=str(self.adjudication))
        self._decide(Adjudication.ENGAGED, reason, actor)

    def pre_adverse(self, reason: str, now: datetime, wait: timedelta, actor: str) -> None:
        """Send the pre-adverse notice (with the report); the adverse action may follow after `wait`."""
        self._needs_decision()
        if self.adjudication is not None:
            raise Conflict(f"The check is already {self.adjudication}.", adjudication=str(self.adjudication))
        self.pre_adverse_notice_at, self.waiting_until = now, now + wait
        self._decide(Adjudication.PRE_ADVERSE_ACTION, reason, actor)

    def adverse(self, reason: str, now: datetime, actor: str) -> None:
        """The final adverse action, once the waiting period after the pre-adverse notice has passed."""
        self._needs_decision()
        if self.adjudication != Adjudication.PRE_ADVERSE_ACTION or self.waiting_until is None:
            raise Conflict("Send the pre-adverse notice first (POST .../pre-adverse-action).",
                           adjudication=str(self.adjudication) if self.adjudication else None)
        if now < self.waiting_until:
            raise Conflict("The candidate's waiting period after the pre-adverse notice has not passed.",
                           waiting_until=self.waiting_until.isoformat())
        self.adverse_action_at = now
        self._decide(Adjudication.ADVERSE_ACTION, reason, actor)

    def _needs_decision(self) -> None:
        if self.result != "consider":
            raise Conflict("Only a completed check whose result is `consider` needs a decision.",
                           check_status=str(self.status), result=self.result)

    def _decide(self, decision: Adjudication, reason: str | None, actor: str) -> None:
        before, self.adjudication, self.adjudication_reason = self.adjudication, decision, reason
        self._touch(actor)
        self.record_event("ats.background_check.adjudicated.v1", changes={
            "adjudication": {"before": before, "after": decision}, "reason": {"before": None, "after": reason}},
            data={"check": self.snapshot(), "decision": decision,
                  "waiting_until": self.waiting_until if decision == Adjudication.PRE_ADVERSE_ACTION else None})

    def _touch(self, actor: str) -> None:
        self.version += 1
        self.updated_at, self.updated_by = datetime.now(UTC), actor

    def snapshot(self) -> dict[str, object]:
        return {"id": self.id, "application_id": self.application_id, "candidate_id": self.candidate_id,
                "package": self.package, "status": self.status, "result": self.result,
                "adjudication": self.adjudication, "version": self.version}


class ProviderEvent(Base):
    """A provider webhook already applied, by its event id: a replay is refused."""

    __tablename__ = "background_check_provider_events"

    event_id: Mapped[str] = mapped_column(Text, primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
