"""A prospect's resume excerpt."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base


class ResumeExcerpt(Base):
    """The start of the latest resume read in the ATS for the linked candidate, its name line, contact points and
    protected traits left out (the ATS's blind text). A trigger asks for the prospect's embedding again."""

    __tablename__ = "prospect_resume_excerpts"

    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    resume_id: Mapped[uuid.UUID]
    read_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
