"""A legal hold on a candidate or on a job (then on everyone who applied to it), until released."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict
from talentkit.uow import RecordsEvents

from ats.db import Base


class LegalHold(RecordsEvents, Base):
    __tablename__ = "legal_holds"
    __table_args__ = (CheckConstraint("(candidate_id IS NULL) <> (job_id IS NULL)", name="one_target"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    candidate_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("candidates.id"), index=True)
    job_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    matter: Mapped[str | None] = mapped_column(Text, comment="the case or claim reference")
    placed_by: Mapped[str] = mapped_column(Text)
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    released_by: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @classmethod
    def place(cls, *, candidate_id: uuid.UUID | None, job_id: uuid.UUID | None, reason: str, matter: str | None,
              actor: str) -> LegalHold:
        """A new hold on one candidate or one job."""
        now = datetime.now(UTC)
        hold = cls(id=uuid.uuid4(), candidate_id=candidate_id, job_id=job_id, reason=reason, matter=matter,
                   placed_by=actor, version=1, created_at=now, updated_at=now)
        hold._audited("placed", {"candidate_id": {"before": None, "after": candidate_id},
                                 "job_id": {"before": None, "after": job_id},
                                 "reason": {"before": None, "after": reason}, "matter": {"before": None, "after": matter}})
        return hold

    @property
    def active(self) -> bool:
        return self.released_at is None

    def release(self, actor: str) -> None:
        """End the hold: retention and erasure apply again."""
        if self.released_at:
            raise Conflict("The legal hold is already released.")
        self.released_at, self.released_by = datetime.now(UTC), actor
        self.version += 1
        self.updated_at = self.released_at
        self._audited("released", {"released_at": {"before": None, "after": self.released_at}})

    def why(self) -> str:
        target = f"candidate {self.candidate_id}" if self.candidate_id else f"job {self.job_id}"
        return f"legal hold {self.id} on {target}: {self.reason}"

    def _audited(self, what: str, changes: dict[str, object]) -> None:
        self.record_event(f"ats.legal_hold.{what}.internal", internal=True, changes=changes,
                          data={"legal_hold_id": self.id, "candidate_id": self.candidate_id})
