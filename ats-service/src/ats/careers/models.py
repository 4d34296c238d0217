"""What the careers site needs beyond the job: its posting (where, pay, until when, screening questions), and
what came with an application through the form (answers, resume file, talent-pool consent)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.uow import RecordsEvents

from ats.db import Base

POSTING_FIELDS = ("street_address", "locality", "region", "postal_code", "country", "remote", "applicant_countries",
                  "salary_min", "salary_max", "salary_currency", "salary_unit", "valid_through", "questions")


class JobPosting(RecordsEvents, Base):
    """How a job appears on the careers site. `questions`: [{id, label, kind (text | yes_no | single_choice),
    required, choices, knockout_answers}]."""

    __tablename__ = "job_postings"

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True)
    street_address: Mapped[str | None] = mapped_column(Text)
    locality: Mapped[str | None] = mapped_column(Text)
    region: Mapped[str | None] = mapped_column(Text)
    postal_code: Mapped[str | None] = mapped_column(Text)
    country: Mapped[str | None] = mapped_column(Text)  # ISO 3166-1 alpha-2
    remote: Mapped[bool] = mapped_column(Boolean, default=False)
    applicant_countries: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    salary_min: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    salary_max: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    salary_currency: Mapped[str | None] = mapped_column(Text)
    salary_unit: Mapped[str | None] = mapped_column(Text)  # HOUR | DAY | WEEK | MONTH | YEAR
    valid_through: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(Text)

    @property
    def id(self) -> uuid.UUID:  # events and the audit trail name the posting by its job
        return self.job_id

    @classmethod
    def publish(cls, job_id: uuid.UUID, values: dict[str, Any], actor: str) -> JobPosting:
        now = datetime.now(UTC)
        posting = cls(job_id=job_id, version=1, created_at=now, updated_at=now, updated_by=actor, **values)
        posting._happened({k: {"before": None, "after": v} for k, v in values.items()})
        return posting

    def replace(self, values: dict[str, Any], actor: str) -> None:
        changes = {k: {"before": getattr(self, k), "after": v} for k, v in values.items() if getattr(self, k) != v}
        for k, c in changes.items():
            setattr(self, k, c["after"])
        if changes:
            self.version += 1
            self.updated_at, self.updated_by = datetime.now(UTC), actor
            self._happened(changes)

    def _happened(self, changes: dict[str, Any]) -> None:
        # what the careers site shows is public anyway; the audit trail keeps who changed it
        self.record_event("ats.job_posting.updated.internal", internal=True, data={"job_id": self.job_id},
                          changes=changes)


class CareerApplication(Base):
    """An application's form data: screening answers, the resume sent with it (a resume of the resumes feature:
    parsed, deduplicated per candidate) and the talent-pool consent."""

    __tablename__ = "career_applications"

    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidates.id"), index=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONB)
    knocked_out_by: Mapped[str | None] = mapped_column(Text)  # the question id whose answer rejected it
    resume_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resumes.id", ondelete="SET NULL"))
    # Applications sent before the form used the resumes feature kept their file here; new ones never do.
    resume_filename: Mapped[str | None] = mapped_column(Text)
    resume_type: Mapped[str | None] = mapped_column(Text)
    resume: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    talent_pool_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    consent_text_version: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
