"""The audit tables. `audit_events` is append-only (the migration adds a trigger that refuses UPDATE, DELETE and
TRUNCATE) and holds no personal values: those live in `audit_personal_values`, one row per entry, which erasure
deletes; the entry keeps a salted digest of them, so the chain verifies before and after an erasure."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, DateTime, ForeignKey, Identity, Index, Text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ats.db import Base


class AuditPersonalValues(Base):
    """The personal values of one entry's changes (names, contact points, free text), erasable with their subject."""

    __tablename__ = "audit_personal_values"

    entry_id: Mapped[int] = mapped_column(ForeignKey("audit_events.id"), primary_key=True)
    subject_id: Mapped[str] = mapped_column(Text, index=True, comment="the candidate the values are about")
    salt: Mapped[str] = mapped_column(Text, comment="random: without it the digest cannot confirm a guessed value")
    values: Mapped[dict[str, Any]] = mapped_column(JSONB)


class AuditPending(Base):
    """A transaction's entries on their way to the chain. The closing statement writes them here without taking
    any lock; at COMMIT a deferred trigger (`audit_link`, in the migrations) takes the chain's lock, links them in
    order into `audit_events` with their personal values, and deletes them. So the lock is held only inside the
    COMMIT, never across a round trip to the service; no committed transaction leaves a row here (UNLOGGED)."""

    __tablename__ = "audit_pending"
    __table_args__ = ({"prefixes": ["UNLOGGED"]},)

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    entry: Mapped[dict[str, Any]] = mapped_column(JSONB)  # the audit_events row without its id and hashes
    canonical: Mapped[str] = mapped_column(Text)  # the entry's canonical JSON, hashed into the chain
    personal: Mapped[dict[str, Any] | None] = mapped_column(JSONB)  # subject_id, salt and values, or none


class AuditEvent(Base):
    """One write: who (principal, on behalf of whom), which request, what action on which target, before/after."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_target", "target_type", "target_id", "id"), Index("ix_audit_actor", "actor", "id"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(Text)
    on_behalf_of: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(Text)
    causation_id: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(Text)
    target_type: Mapped[str] = mapped_column(Text)
    target_id: Mapped[str] = mapped_column(Text)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, comment="the changes without personal values")
    subject_id: Mapped[str | None] = mapped_column(Text, index=True, comment="the candidate the entry is about")
    personal_digest: Mapped[str | None] = mapped_column(Text, comment="sha256 of salt + the personal values")
    prev_hash: Mapped[str] = mapped_column(Text)
    hash: Mapped[str] = mapped_column(Text, unique=True)
    personal: Mapped[AuditPersonalValues | None] = relationship(lazy="selectin")

    @property
    def recorded_changes(self) -> dict[str, Any]:
        """The changes as recorded, personal values included while they are not erased."""
        return {**self.changes, **(self.personal.values if self.personal else {})}

    @property
    def personal_data_erased(self) -> bool:
        return self.personal_digest is not None and self.personal is None
