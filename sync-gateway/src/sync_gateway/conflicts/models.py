"""The conflict log."""
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sync_gateway.db import Base


class Conflict(Base):
    """A field both sides changed, both values with their source times, the rule applied and the winner."""

    __tablename__ = "conflicts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    link_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("links.id"), index=True)
    field: Mapped[str] = mapped_column(Text)
    ats_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    crm_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    ats_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    crm_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rule: Mapped[str] = mapped_column(Text)
    winner: Mapped[str] = mapped_column(Text)  # ats | crm
    event_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
