"""Notes on a candidate, with who may read them."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.auth import Principal
from talentkit.errors import Forbidden
from talentkit.uow import RecordsEvents

from ats.db import Base


class Visibility(StrEnum):
    PUBLIC = "public"  # every reader
    PRIVATE = "private"  # only the author (the On-Behalf-Of user, else the principal id)
    ADMIN_ONLY = "admin_only"  # only the admin principal


def is_admin(principal: Principal) -> bool:
    return "*" in principal.scopes


class Note(RecordsEvents, Base):
    __tablename__ = "candidate_notes"
    __table_args__ = (Index("ix_candidate_notes_candidate_created", "candidate_id", "created_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidates.id"))
    body: Mapped[str] = mapped_column(Text)
    visibility: Mapped[Visibility] = mapped_column(Text)
    author: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def write(cls, candidate_id: uuid.UUID, body: str, visibility: Visibility, *, principal: Principal, author: str,
              actor: str) -> Note:
        """A note by `author` (the acting user, see `ats.users`); only the admin writes admin-only notes (nobody
        else could read them)."""
        if visibility == Visibility.ADMIN_ONLY and not is_admin(principal):
            raise Forbidden("Only the admin writes `admin_only` notes.")
        now = datetime.now(UTC)
        note = cls(id=uuid.uuid4(), candidate_id=candidate_id, body=body, visibility=visibility, author=author,
                   version=1, created_at=now, updated_at=now, created_by=actor)
        # Notes never leave the ATS. The entry's target is the note, not the candidate: the activity feed shows
        # notes by their visibility, never their audit entries.
        note.record_event("ats.note.created.internal", internal=True, data={"note_id": note.id, "candidate_id": candidate_id}, changes={
            "candidate_id": {"before": None, "after": candidate_id}, "body": {"before": None, "after": body},
            "visibility": {"before": None, "after": visibility}})
        return note
