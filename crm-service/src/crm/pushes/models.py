"""The Push aggregate: requested → succeeded, or requested → failed (with a code and a reason) → succeeded when a
later attempt of the sync gateway got through. A push that succeeded never fails afterwards."""
from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, text
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict

from crm.db import Base


class PushStatus(StrEnum):
    REQUESTED = "requested"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class FailureCode(StrEnum):
    JOB_NOT_FOUND = "job_not_found"
    JOB_CLOSED = "job_closed"
    ATS_REFUSED = "ats_refused"
    OTHER = "other"


class Push(Base):
    __tablename__ = "pushes"
    __table_args__ = (
        Index("uq_pushes_one_pending_per_job", "prospect_id", "job_id", unique=True,
              postgresql_where=text("status = 'requested'")),
        Index("ix_pushes_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), index=True)
    job_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(Text, default=PushStatus.REQUESTED)
    code: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    application_id: Mapped[str | None] = mapped_column(Text)
    candidate_id: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(Text)
    recipient: Mapped[str] = mapped_column(Text)  # the recruiter told about a failure (On-Behalf-Of, else the key)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @classmethod
    def request(cls, *, prospect_id: uuid.UUID, job_id: uuid.UUID, requested_by: str, recipient: str, now: datetime) -> Push:
        return cls(id=uuid.uuid4(), prospect_id=prospect_id, job_id=job_id, status=PushStatus.REQUESTED,
                   requested_by=requested_by, recipient=recipient, version=1, created_at=now, updated_at=now)

    def succeed(self, *, application_id: str | None, candidate_id: str | None, now: datetime) -> bool:
        """Mark the push done; False when it already was (a retry)."""
        if self.status == PushStatus.SUCCEEDED:
            return False
        self.status, self.code, self.reason = PushStatus.SUCCEEDED, None, None
        self.application_id = application_id or self.application_id
        self.candidate_id = candidate_id or self.candidate_id
        self._resolved(now)
        return True

    def fail(self, *, code: str, reason: str, candidate_id: str | None, now: datetime) -> bool:
        """Mark the push failed; False when it already failed so (a retry). 409 once it succeeded."""
        if self.status == PushStatus.SUCCEEDED:
            raise Conflict("The push already succeeded; it cannot fail afterwards.", push_status=self.status)
        if (self.status, self.code, self.reason) == (PushStatus.FAILED, code, reason):
            return False
        self.status, self.code, self.reason = PushStatus.FAILED, code, reason
        self.candidate_id = candidate_id or self.candidate_id
        self._resolved(now)
        return True

    def _resolved(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = self.resolved_at = now
