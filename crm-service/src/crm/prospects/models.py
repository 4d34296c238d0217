"""The prospect table."""
import uuid

from sqlalchemy import ForeignKey, Index, Text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict
from talentkit.profiles.models import ProfileMixin

from crm.db import Base
from crm.errors import Gone


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

    @property
    def accepts_writes(self) -> bool:
        return self.status != "erased" and self.merged_into_id is None

    def ensure_writable(self) -> None:
        """The one guard of every write that names a prospect: an erased one is 410 Gone, a merged one is 409
        naming the survivor (`merged_into_id`, `Location`)."""
        if self.status == "erased":
            raise Gone(f"Prospect {self.id} was erased; it accepts no more changes.", prospect_status="erased")
        if self.merged_into_id is not None:
            raise Conflict(f"Prospect {self.id} was merged into {self.merged_into_id}; write to the survivor.",
                           prospect_status="merged", merged_into_id=str(self.merged_into_id),
                           headers={"Location": f"/v1/prospects/{self.merged_into_id}"})

    def snapshot(self) -> dict[str, object]:
        return {**super().snapshot(), "status": self.status}
