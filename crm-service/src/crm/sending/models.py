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
from talentkit.errors import Conflict
from talentkit.uow import RecordsEvents

from crm.db import Base


class MessageState(StrEnum):
    CLAIMED = "claimed"
    SENT = "sent"
    BLOCKED = "blocked"
    CANCELLED = "cancelled"
    BOUNCED = "bounced"
    FAILED = "failed"


TOPIC = "crm.messages"
TRACKED = (MessageState.SENT, MessageState.BOUNCED)  # went out: opens, clicks and replies count


class Message(RecordsEvents, Base):
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

    def delivered(self, now: datetime) -> None:
        """The mail server or SMS provider accepted it (a task is simply due); records `crm.message.sent.v1`."""
        self.state, self.sent_at, self.updated_at, self.attempts = MessageState.SENT, now, now, self.attempts + 1
        self.next_attempt_at = None
        self._bump(now)
        if self.channel in ("email", "sms"):
            self.record_event("crm.message.sent.v1", topic=TOPIC, data={"message": self.snapshot()},
                              changes={"state": {"before": str(MessageState.CLAIMED), "after": str(MessageState.SENT)}})

    def cancel(self, now: datetime) -> None:
        """Paused or exited after the claim: it never goes out."""
        self.state, self.updated_at = MessageState.CANCELLED, now

    def attempt_failed(self, error: str, now: datetime, *, max_attempts: int, retry_after: Any) -> bool:
        """Count a failed send; below the cap it waits `retry_after(attempts)`, at the cap it is parked as `failed`.
        True when parked."""
        self.attempts += 1
        self.error, self.updated_at = error[:2000], now
        if self.attempts < max_attempts:
            self.next_attempt_at = now + retry_after(self.attempts)
            return False
        self.state, self.next_attempt_at = MessageState.FAILED, None
        self._bump(now)
        return True

    def bounce(self, diagnostic: str | None, now: datetime) -> bool:
        """A sent email bounced (False when it was known already); records `crm.message.bounced.v1`."""
        if self.state == MessageState.BOUNCED:
            return False
        if self.state != MessageState.SENT or self.channel != "email":
            raise Conflict(f"Only a sent email can bounce; this message is a {self.state} {self.channel}.",
                           message_state=self.state)
        self.state, self.error = MessageState.BOUNCED, diagnostic
        self._bump(now)
        self.record_event("crm.message.bounced.v1", topic=TOPIC, data={"message": self.snapshot(), "diagnostic": diagnostic},
                          changes={"state": {"before": str(MessageState.SENT), "after": str(MessageState.BOUNCED)}})
        return True

    def opened(self, now: datetime, opens: int) -> None:
        """The first load of its open pixel; records `crm.message.opened.v1`."""
        self._bump(now)
        self.record_event("crm.message.opened.v1", topic=TOPIC,
                          data={"message": self.snapshot(), "opened_at": now, "opens": opens})

    def clicked(self, url: str, now: datetime, clicks: int) -> None:
        """The first click on one of its links; records `crm.message.clicked.v1`."""
        self._bump(now)
        self.record_event("crm.message.clicked.v1", topic=TOPIC,
                          data={"message": self.snapshot(), "url": url, "clicked_at": now, "clicks": clicks})

    def replied(self, now: datetime, *, from_address: str | None, subject: str | None) -> None:
        """A human answered it (auto-replies do not count); records `crm.message.replied.v1`."""
        self._bump(now)
        self.record_event("crm.message.replied.v1", topic=TOPIC, data={
            "message": self.snapshot(), "replied_at": now, "from_address": from_address, "subject": subject})

    def _bump(self, now: datetime) -> None:
        """Every change of the message is one version: its events get the next sequence."""
        self.version, self.updated_at = self.version + 1, now

    def snapshot(self) -> dict[str, Any]:
        return {"id": self.id, "enrollment_id": self.enrollment_id, "prospect_id": self.prospect_id,
                "sequence_id": self.sequence_id, "step_index": self.step_index, "channel": self.channel,
                "variant": self.variant, "message_id_header": self.message_id_header, "sent_at": self.sent_at}
