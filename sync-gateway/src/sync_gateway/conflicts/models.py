"""The conflict log."""
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from sync_gateway.db import Base


class Conflict(Base):
    """A value one side held that the policy overrode: both values with their source times, the rule applied and
    the winner. It outlives the link (erasure, merge): `link_id` becomes NULL, and an erasure removes both values."""

    __tablename__ = "conflicts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    link_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("links.id", ondelete="SET NULL"), index=True)
    field: Mapped[str] = mapped_column(Text)
    ats_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    crm_value: Mapped[Any] = mapped_column(JSONB, nullable=True)
    ats_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    crm_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    rule: Mapped[str] = mapped_column(Text)
    winner: Mapped[str] = mapped_column(Text)  # ats | crm
    event_id: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    values_erased_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when the person was erased: both values removed")
