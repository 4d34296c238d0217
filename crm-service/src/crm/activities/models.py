"""One thing that happened to or with a prospect: a message sent, opened, clicked, replied, a page visit,
a stage change, a note, an application seen in the ATS."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base


class Activity(Base):
    __tablename__ = "activities"
    __table_args__ = (Index("ix_activities_prospect_time", "prospect_id", "occurred_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(Text)  # message_sent, message_opened, message_clicked, message_replied, page_visit, stage_changed, note, applied, hired, ...
    visibility: Mapped[str] = mapped_column(Text, default="public")  # public | private
    summary: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    actor: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @classmethod
    def entry(cls, *, prospect_id: uuid.UUID, kind: str, summary: str, data: dict[str, Any] | None = None,
              visibility: str = "public", actor: str | None = None, at: datetime | None = None) -> Activity:
        """A new entry of the timeline (the timeline is append-only: entries are never changed, only erased)."""
        return cls(id=uuid.uuid4(), prospect_id=prospect_id, kind=kind, summary=summary, data=data or {},
                   visibility=visibility, actor=actor, occurred_at=at or datetime.now(UTC))
