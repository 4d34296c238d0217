"""A self-scheduling invite: the panel, length and window a recruiter offers one application's candidate, who
books one of its free slots through the signed link they were emailed. Booked once, then closed."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, Text, func
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict
from talentkit.uow import RecordsEvents

from ats.db import Base


class InviteStatus(StrEnum):
    OPEN = "open"
    BOOKED = "booked"
    CANCELLED = "cancelled"


class SchedulingInvite(RecordsEvents, Base):
    __tablename__ = "scheduling_invites"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    stage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("job_stages.id"))
    interviewers: Mapped[list[str]] = mapped_column(ARRAY(Text))
    duration_minutes: Mapped[int] = mapped_column(Integer)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    timezone: Mapped[str] = mapped_column(Text)  # how the candidate sees the times
    location: Mapped[str | None] = mapped_column(Text)
    video_link: Mapped[str | None] = mapped_column(Text)
    status: Mapped[InviteStatus] = mapped_column(Text, default=InviteStatus.OPEN)
    interview_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("interviews.id"))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def offer(cls, values: dict[str, Any], actor: str) -> SchedulingInvite:
        """A new open invite (its link is emailed by the service)."""
        now = datetime.now(UTC)
        invite = cls(id=uuid.uuid4(), status=InviteStatus.OPEN, version=1, created_at=now, updated_at=now,
                     created_by=actor, updated_by=actor, **values)
        invite._happened("created", {k: {"before": None, "after": v} for k, v in values.items()})
        return invite

    def booked(self, interview_id: uuid.UUID, actor: str) -> None:
        """The candidate picked a slot: the invite is used up."""
        self._require_open()
        self.status, self.interview_id = InviteStatus.BOOKED, interview_id
        self._touch(actor)
        self._happened("booked", {"status": {"before": InviteStatus.OPEN, "after": self.status},
                                  "interview_id": {"before": None, "after": interview_id}})

    def cancel(self, actor: str) -> None:
        """Withdraw the link before it was used."""
        self._require_open()
        self.status = InviteStatus.CANCELLED
        self._touch(actor)
        self._happened("cancelled", {"status": {"before": InviteStatus.OPEN, "after": self.status}})

    def _require_open(self) -> None:
        if self.status != InviteStatus.OPEN:
            raise Conflict(f"The invite is {self.status}.", invite_status=str(self.status))

    def _touch(self, actor: str) -> None:
        self.version += 1
        self.updated_at, self.updated_by = datetime.now(UTC), actor

    def _happened(self, what: str, changes: dict[str, Any]) -> None:
        # the interview it books has its public event; the invite itself stays inside the ATS
        self.record_event(f"ats.scheduling_invite.{what}.internal", internal=True, data={"invite_id": self.id},
                          changes=changes)
