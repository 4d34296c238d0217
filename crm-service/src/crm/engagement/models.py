"""The latest engagement score of each prospect (so lists can sort by it)."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base


class EngagementScore(Base):
    __tablename__ = "engagement_scores"

    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)  # as of computed_at; decays from there
    level: Mapped[str] = mapped_column(Text, default="cold")
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    crossings: Mapped[int] = mapped_column(Integer, default=0)  # upward crossings of the alert threshold
    last_alert_id: Mapped[uuid.UUID | None] = mapped_column()
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
