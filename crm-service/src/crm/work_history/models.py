"""One position in a prospect's work history."""
import uuid
from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base


class Position(Base):
    """A job a prospect held (`ended_on` null: they hold it still)."""

    __tablename__ = "prospect_positions"
    __table_args__ = (Index("ix_prospect_positions_prospect", "prospect_id", "started_on"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    company: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date)
