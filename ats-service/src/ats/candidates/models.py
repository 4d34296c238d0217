"""The candidate table."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.profiles.models import ProfileMixin

from ats.db import Base


class Candidate(ProfileMixin, Base):
    """A person known to the ATS (applications come with the pipeline)."""

    __tablename__ = "candidates"
    __table_args__ = (
        Index("ix_candidates_emails", "emails", postgresql_using="gin"),
        Index("ix_candidates_created", "created_at", "id"),
        Index("ix_candidates_updated", "updated_at"),
    )

    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("candidates.id"))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
