"""When a prospect's openness last raised an alert (one alert per crossing, at most every 90 days)."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base


class OpennessAlert(Base):
    __tablename__ = "openness_alerts"

    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    alerted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
