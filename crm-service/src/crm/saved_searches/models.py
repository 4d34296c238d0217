"""A saved search and the prospects it has already matched (so only new matches alert)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.uow import RecordsEvents

from crm.db import Base


class SavedSearch(RecordsEvents, Base):
    __tablename__ = "saved_searches"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    q: Mapped[str] = mapped_column(Text)
    mode: Mapped[str] = mapped_column(Text)  # boolean | semantic | hybrid
    filters: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    alerts: Mapped[bool] = mapped_column(Boolean, default=True)
    recipient: Mapped[str] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def save(cls, *, name: str, q: str, mode: str, filters: dict[str, Any], alerts: bool, recipient: str,
             actor: str) -> SavedSearch:
        """A new saved search (audited as an internal event: it is the recruiter's own tool, no integrator's)."""
        now = datetime.now(UTC)
        saved = cls(id=uuid.uuid4(), name=name, q=q, mode=mode, filters=filters, alerts=alerts, recipient=recipient,
                    version=1, created_at=now, updated_at=now, created_by=actor)
        saved.record_event("crm.saved_search.created.internal", internal=True, data={"saved_search_id": saved.id},
                           changes={"name": {"before": None, "after": name}, "q": {"before": None, "after": q}})
        return saved

    def checked(self, now: datetime) -> None:
        self.checked_at = now


class SavedSearchMatch(Base):
    __tablename__ = "saved_search_matches"

    saved_search_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("saved_searches.id", ondelete="CASCADE"), primary_key=True)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    matched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
