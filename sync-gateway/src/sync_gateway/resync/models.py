"""A resync job: which links, how far it got, who runs it (a lease renewed by its runner's heartbeat)."""
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB, UUID
from sqlalchemy.orm import Mapped, mapped_column

from sync_gateway.db import Base

ACTIVE = ("queued", "running")
ACTIVE_PREDICATE = text("status IN ('queued', 'running')")  # literal: ON CONFLICT must name the index's own predicate


class ResyncJob(Base):
    """Re-apply the policy both ways to every link in scope, a batch at a time, resumable from `cursor`."""

    __tablename__ = "resync_jobs"
    __table_args__ = (
        # At most one active job per scope, whatever the number of requests or replicas.
        Index("uq_resync_jobs_active_scope", "scope", unique=True,
              postgresql_where=ACTIVE_PREDICATE),
        Index("ix_resync_jobs_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    scope: Mapped[str] = mapped_column(Text, comment="`all`, or `links:<digest of the ids>`")
    all_links: Mapped[bool] = mapped_column(default=False)
    ats_candidate_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    crm_prospect_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(UUID(as_uuid=True)), default=list)
    status: Mapped[str] = mapped_column(Text, default="queued")  # queued | running | succeeded | failed | cancelled
    total: Mapped[int | None] = mapped_column(Integer, comment="links in scope when the job started")
    done: Mapped[int] = mapped_column(Integer, default=0)
    skipped: Mapped[int] = mapped_column(Integer, default=0, comment="a side erased, merged away or gone")
    failed: Mapped[int] = mapped_column(Integer, default=0)
    conflicts: Mapped[int] = mapped_column(Integer, default=0, comment="overridden values logged")
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, comment="the first failures")
    cursor: Mapped[uuid.UUID | None] = mapped_column(comment="the last link done (links go in id order)")
    runner: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claims: Mapped[int] = mapped_column(Integer, default=0, comment="how many times a runner took it on")
    requested_by: Mapped[str] = mapped_column(Text)
    cancelled_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
