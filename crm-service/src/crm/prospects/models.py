"""The prospect table."""
import uuid

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.profiles.models import ProfileMixin

from crm.db import Base


class Prospect(ProfileMixin, Base):
    """A person the CRM knows: sourced, referred, met at an event, signed up, or imported from the ATS."""

    __tablename__ = "prospects"
    __table_args__ = (
        Index("ix_prospects_emails", "emails", postgresql_using="gin"),
        Index("ix_prospects_created", "created_at", "id"),
        Index("ix_prospects_updated", "updated_at"),
    )
    EXTRA_FIELDS = ("current_company", "current_title", "skills", "links", "owner")
    LIST_FIELDS = ("emails", "phones", "tags", "skills", "links")

    current_company: Mapped[str | None] = mapped_column(Text)
    current_title: Mapped[str | None] = mapped_column(Text)
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    links: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    owner: Mapped[str | None] = mapped_column(Text)
    # active; hired (the ATS hired them: no more nurture); excluded (never enroll again); merged (see merged_into_id)
    status: Mapped[str] = mapped_column(Text, default="active", server_default="active")
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("prospects.id"))

    def snapshot(self) -> dict[str, object]:
        return {**super().snapshot(), "status": self.status}
