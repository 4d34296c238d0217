"""One message per (enrollment, step): claimed → sent (→ bounced), or blocked / cancelled, or failed once its
sends kept failing up to the attempt cap. The unique pair is what makes a step impossible to send twice from two
workers or two runs."""
from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from crm.db import Base


class MessageState(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    BOUNCED = "bounced"
    FAILED = "failed"


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "step_index", name="uq_messages_enrollment_step"),
        Index("ix_messages_claimed", "claimed_at", postgresql_where=text("state = 'claimed'")),
        Index("ix_messages_sender_claimed", "sender", "claimed_at"),
        Index("ix_messages_created", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    enrollment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("enrollments.id", ondelete="CASCADE"))
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), index=True)
    sequence_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sequences.id"))
    step_index: Mapped[int] = mapped_column(Integer)
    channel: Mapped[str] = mapped_column(Text)  # email | sms | task
    variant: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(Text, default=MessageState.CLAIMED)
    sender: Mapped[str | None] = mapped_column(Text)
    recipient: Mapped[str | None] = mapped_column(Text)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)  # the text part as sent (an SMS or task: its text)
    body_html: Mapped[str | None] = mapped_column(Text)  # the HTML part as sent (email only)
    links: Mapped[list[str]] = mapped_column(JSONB, default=list, server_default="[]")  # the author's links; a click names an index
    message_id_header: Mapped[str | None] = mapped_column(Text, unique=True)
    missing_tokens: Mapped[list[str]] = mapped_column(JSONB, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # after a failed send: the backoff
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "enrollment_id": self.enrollment_id, "prospect_id": self.prospect_id,
                "sequence_id": self.sequence_id, "step_index": self.step_index, "channel": self.channel,
                "variant": self.variant, "message_id_header": self.message_id_header, "sent_at": self.sent_at}
