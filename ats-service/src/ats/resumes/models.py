"""A candidate's resume: the file itself, its text and what was read from it.

The file is stored in PostgreSQL (`bytea`, at most 10 MB) rather than a blob store: it commits or rolls back with
its parse, its event and the profile change it causes (nothing half-stored), is erased in the same transaction
as the candidate, and is backed up with everything else. Large columns are deferred: lists never load them."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from ats.db import Base
from ats.resumes.blind import blind_text as without_identity
from pgvector.sqlalchemy import Vector
from sqlalchemy import (
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.embeddings import DIMENSIONS
from talentkit.uow import RecordsEvents


class Resume(RecordsEvents, Base):
    __tablename__ = "resumes"
    __table_args__ = (UniqueConstraint("candidate_id", "sha256", name="uq_resumes_candidate_id_sha256"),
                      Index("ix_resumes_candidate_created", "candidate_id", "created_at", "id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    candidate_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("candidates.id"))
    sha256: Mapped[str] = mapped_column(Text)
    filename: Mapped[str | None] = mapped_column(Text)
    content_type: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    text: Mapped[str] = mapped_column(Text, default="", deferred=True)
    pages: Mapped[int] = mapped_column(Integer)
    fields: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    # What search and ranking read, taken from `fields` (the trigger behind candidate search reads these).
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    titles: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    companies: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    years_of_experience: Mapped[float | None] = mapped_column(Float)
    embedding: Mapped[Any] = mapped_column(Vector(DIMENSIONS), nullable=True, deferred=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @classmethod
    def read(cls, *, candidate_id: uuid.UUID, content: bytes, sha256: str, filename: str | None, content_type: str,
             text: str, pages: int, fields: dict[str, Any], embedding: Any, actor: str) -> Resume:
        """A resume as uploaded and read; `parsed()` records its event once the profile took its contact points."""
        history = fields.get("work_history", {}).get("value") or []
        return cls(id=uuid.uuid4(), candidate_id=candidate_id, sha256=sha256, filename=filename,
                   content_type=content_type, size_bytes=len(content), content=content, text=text, pages=pages,
                   fields=fields, skills=fields.get("skills", {}).get("value") or [],
                   titles=[p["title"] for p in history if p.get("title")],
                   companies=[p["company"] for p in history if p.get("company")],
                   years_of_experience=fields.get("years_of_experience", {}).get("value"), embedding=embedding,
                   version=1, created_at=datetime.now(UTC), created_by=actor)

    @property
    def blind_text(self) -> str:
        """The text without who the person is (see `ats.resumes.blind`)."""
        return without_identity(self.text)

    def parsed(self, contact_points_added: dict[str, list[str]]) -> None:
        """Record `ats.resume.parsed.v1` (no text, no contact points: those reach the profile's own event)."""
        self.record_event("ats.resume.parsed.v1", data={
            "resume_id": self.id, "candidate_id": self.candidate_id, "sha256": self.sha256,
            "content_type": self.content_type, "size_bytes": self.size_bytes, "pages": self.pages,
            "skills": self.skills, "current_title": self.fields.get("current_title", {}).get("value"),
            "years_of_experience": self.years_of_experience,
            "contact_points_added": {k: len(v) for k, v in contact_points_added.items()},
        }, changes={"candidate_id": {"before": None, "after": self.candidate_id},
                    "filename": {"before": None, "after": self.filename}, "sha256": {"before": None, "after": self.sha256},
                    "content_type": {"before": None, "after": self.content_type}})
