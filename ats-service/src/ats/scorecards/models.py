"""The Scorecard aggregate: one per interviewer and interview, editable after submission."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

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
from talentkit.errors import Forbidden
from talentkit.uow import RecordsEvents

from ats.db import Base
from ats.interviews.models import Interview


class Rating(StrEnum):
    """One attribute's rating, weakest to strongest."""

    DEFINITELY_NOT = "definitely_not"
    NO = "no"
    YES = "yes"
    STRONG_YES = "strong_yes"


class Recommendation(StrEnum):
    STRONG_NO = "strong_no"
    NO = "no"
    MIXED = "mixed"
    YES = "yes"
    STRONG_YES = "strong_yes"


class Scorecard(RecordsEvents, Base):
    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("interview_id", "interviewer", name="uq_scorecards_interview_interviewer"),
                      Index("ix_scorecards_created", "created_at", "id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    interview_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("interviews.id"), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    interviewer: Mapped[str] = mapped_column(Text)
    ratings: Mapped[dict[str, Any]] = mapped_column(JSONB)
    overall_recommendation: Mapped[Recommendation] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def submit(cls, interview: Interview, *, interviewer: str, ratings: dict[str, str],
               overall_recommendation: Recommendation, notes: str | None, actor: str) -> Scorecard:
        """An interviewer's feedback on an interview that is not cancelled and that they were on."""
        interview.accepts_feedback_from(interviewer)
        now = datetime.now(UTC)
        card = cls(id=uuid.uuid4(), interview_id=interview.id, application_id=interview.application_id,
                   interviewer=interviewer, ratings=ratings, overall_recommendation=overall_recommendation, notes=notes,
                   submitted_at=now, version=1, created_at=now, updated_at=now, created_by=actor, updated_by=actor)
        given = {"interview_id": interview.id, "interviewer": interviewer, "ratings": ratings,
                 "overall_recommendation": overall_recommendation, "notes": notes}
        # ratings and notes stay in the ATS (its audit trail), never in the event
        card.record_event("ats.scorecard.submitted.v1", data={
            "scorecard_id": card.id, "interview_id": interview.id, "application_id": card.application_id,
            "candidate_id": interview.application.candidate_id, "interviewer": interviewer,
            "overall_recommendation": overall_recommendation, "submitted_at": now},
            changes={k: {"before": None, "after": v} for k, v in given.items()})
        return card

    def revise(self, values: dict[str, Any], *, by: str, actor: str) -> dict[str, dict[str, Any]]:
        """Apply changed fields, for the scorecard's own interviewer `by` only; returns `{field: {before, after}}`
        (empty when nothing changed)."""
        if by.lower() != self.interviewer:
            raise Forbidden("Only the interviewer who filed a scorecard revises it.", reason="not_your_scorecard")
        changes = {k: {"before": getattr(self, k), "after": v} for k, v in values.items() if getattr(self, k) != v}
        for k, c in changes.items():
            setattr(self, k, c["after"])
        if changes:
            self.version += 1
            self.updated_at = datetime.now(UTC)
            self.updated_by = actor
            self.record_event("ats.scorecard.updated.internal", internal=True,
                              data={"scorecard_id": self.id, "application_id": self.application_id},
                              changes=changes)
        return changes
