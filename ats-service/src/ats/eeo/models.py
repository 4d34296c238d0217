"""A candidate's voluntary self-identification for one application, in the US EEO-1 / OFCCP categories. It never
leaves the ATS and never reaches reviewers: no public event, and its audit entries name the questions answered,
never the answers."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.uow import RecordsEvents

from ats.db import Base

DECLINED = "decline_to_answer"


class Gender(StrEnum):
    """EEO-1 sex categories."""

    MALE = "male"
    FEMALE = "female"
    DECLINED = DECLINED


class RaceEthnicity(StrEnum):
    """The seven EEO-1 race/ethnicity categories."""

    HISPANIC_OR_LATINO = "hispanic_or_latino"
    WHITE = "white"
    BLACK_OR_AFRICAN_AMERICAN = "black_or_african_american"
    NATIVE_HAWAIIAN_OR_OTHER_PACIFIC_ISLANDER = "native_hawaiian_or_other_pacific_islander"
    ASIAN = "asian"
    AMERICAN_INDIAN_OR_ALASKA_NATIVE = "american_indian_or_alaska_native"
    TWO_OR_MORE_RACES = "two_or_more_races"
    DECLINED = DECLINED


class VeteranStatus(StrEnum):
    """VEVRAA pre-offer self-identification (OFCCP)."""

    PROTECTED_VETERAN = "protected_veteran"
    NOT_A_PROTECTED_VETERAN = "not_a_protected_veteran"
    DECLINED = DECLINED


class DisabilityStatus(StrEnum):
    """Section 503 self-identification (OFCCP form CC-305)."""

    YES = "yes"
    NO = "no"
    DECLINED = DECLINED


QUESTIONS: dict[str, type[StrEnum]] = {"gender": Gender, "race_ethnicity": RaceEthnicity,
                                       "veteran_status": VeteranStatus, "disability_status": DisabilityStatus}


class EeoResponse(RecordsEvents, Base):
    __tablename__ = "eeo_responses"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    gender: Mapped[str] = mapped_column(Text)
    race_ethnicity: Mapped[str] = mapped_column(Text)
    veteran_status: Mapped[str] = mapped_column(Text)
    disability_status: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def submit(cls, application_id: uuid.UUID, answers: dict[str, Any], actor: str) -> EeoResponse:
        """The candidate's answers; a question left out counts as declined."""
        now = datetime.now(UTC)
        response = cls(id=uuid.uuid4(), application_id=application_id, version=1, created_at=now, updated_at=now,
                       created_by=actor, updated_by=actor,
                       **{q: str(answers.get(q) or DECLINED) for q in QUESTIONS})
        response._audited("submitted", sorted(q for q in QUESTIONS if answers.get(q)))
        return response

    def revise(self, answers: dict[str, Any], actor: str) -> list[str]:
        """Change some answers; returns the questions whose answer changed."""
        changed = sorted(q for q, a in answers.items() if a is not None and getattr(self, q) != str(a))
        for q in changed:
            setattr(self, q, str(answers[q]))
        if changed:
            self.version += 1
            self.updated_at, self.updated_by = datetime.now(UTC), actor
            self._audited("revised", changed)
        return changed

    def withdraw(self) -> None:
        """The candidate takes their self-identification back (the row is deleted by the service)."""
        self._audited("withdrawn", list(QUESTIONS))

    def answers(self) -> dict[str, str]:
        return {q: getattr(self, q) for q in QUESTIONS}

    def _audited(self, what: str, questions: list[str]) -> None:
        # Internal only (never the outbox, so never Kafka, webhooks or the CRM), and the audit entry names the
        # questions, never the answers: auditors see that self-identification happened, not what it said.
        self.record_event(f"ats.eeo_response.{what}.internal", internal=True,
                          data={"eeo_response_id": self.id, "application_id": self.application_id},
                          changes={"questions": {"before": None, "after": questions}})
