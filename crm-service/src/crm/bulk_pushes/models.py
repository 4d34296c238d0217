"""A bulk push (a job resource with progress) and its items, one per person with their outcome."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.uow import RecordsEvents

from crm.db import Base


class BulkPush(RecordsEvents, Base):
    __tablename__ = "bulk_pushes"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column()
    selection: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the query or the ids asked for
    status: Mapped[str] = mapped_column(Text)  # running | done
    total: Mapped[int] = mapped_column(Integer)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    requested_by: Mapped[str] = mapped_column(Text)
    on_behalf_of: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @classmethod
    def start(cls, *, job_id: uuid.UUID, selection: dict[str, Any], prospect_ids: list[uuid.UUID], requested_by: str,
              on_behalf_of: str | None) -> BulkPush:
        """A bulk push of `prospect_ids` (in order), each item pending."""
        now = datetime.now(UTC)
        bulk = cls(id=uuid.uuid4(), job_id=job_id, selection=selection, status="done" if not prospect_ids else "running",
                   total=len(prospect_ids), processed=0, requested_by=requested_by, on_behalf_of=on_behalf_of,
                   version=1, created_at=now, updated_at=now, finished_at=None if prospect_ids else now)
        bulk.record_event("crm.bulk_push.started.internal", internal=True, data={"bulk_push_id": bulk.id},
                          changes={"job_id": {"before": None, "after": job_id}, "total": {"before": None, "after": len(prospect_ids)}})
        return bulk

    def item_done(self) -> None:
        """One more person handled; the whole push is done after the last."""
        now = datetime.now(UTC)
        self.processed += 1
        self.version += 1
        self.updated_at = now
        if self.processed >= self.total:
            self.status, self.finished_at = "done", now


class BulkPushItem(Base):
    __tablename__ = "bulk_push_items"

    bulk_push_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bulk_pushes.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    prospect_id: Mapped[uuid.UUID] = mapped_column()
    outcome: Mapped[str] = mapped_column(Text, default="pending", index=True)  # pending | requested | skipped | failed
    push_id: Mapped[uuid.UUID | None] = mapped_column()
    reason: Mapped[str | None] = mapped_column(Text)
