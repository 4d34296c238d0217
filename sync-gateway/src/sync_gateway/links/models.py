"""The link table: at most one link per ATS candidate and per CRM prospect."""
import uuid
from datetime import datetime

from sqlalchemy import DateTime, Float, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from sync_gateway.db import Base


class Link(Base):
    """One person known to both systems."""

    __tablename__ = "links"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    ats_candidate_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    crm_prospect_id: Mapped[uuid.UUID | None] = mapped_column(unique=True)
    matched_by: Mapped[str] = mapped_column(Text)  # email | created_in_crm | created_in_ats | explicit
    confidence: Mapped[float] = mapped_column(Float, default=1.0)
    caused_by_event: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())
