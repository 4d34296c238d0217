"""Dead letters kept for inspection and replay."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

from aiokafka import ConsumerRecord
from shared_schemas.envelope import EventEnvelope
from sqlalchemy import DateTime, Integer, LargeBinary, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict

from sync_gateway.db import Base


class DeadLetter(Base):
    """A record the consumer could not apply (also on the dead-letter topic), with its error."""

    __tablename__ = "dead_letters"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    consumer: Mapped[str] = mapped_column(Text)
    topic: Mapped[str] = mapped_column(Text)
    partition: Mapped[int] = mapped_column(Integer)
    offset: Mapped[int] = mapped_column(Integer)
    event_id: Mapped[str | None] = mapped_column(Text, index=True)
    event_type: Mapped[str | None] = mapped_column(Text)
    key: Mapped[bytes | None] = mapped_column(LargeBinary)
    headers: Mapped[list[list[str]]] = mapped_column(JSONB, default=list)
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text, default="open")  # open | replayed | discarded
    resolved_by: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @classmethod
    def of(cls, consumer: str, record: ConsumerRecord, error: BaseException, attempts: int) -> DeadLetter:
        """An open dead letter holding the record as it was on its topic, and why it could not be applied."""
        headers = [[k, (v or b"").decode(errors="replace")] for k, v in (record.headers or ())]
        found = dict(headers)
        return cls(consumer=consumer, topic=record.topic, partition=record.partition, offset=record.offset,
                   event_id=found.get("ce_id"), event_type=found.get("ce_type"), key=record.key, headers=headers,
                   value=record.value, error=f"{type(error).__name__}: {error}"[:4000], attempts=attempts, status="open")

    def _must_be_open(self) -> None:
        if self.status != "open":
            raise Conflict(f"The dead letter is already {self.status}.")

    def event(self) -> EventEnvelope:
        """The CloudEvent the record carried, to publish again unchanged; 409 when it never was a readable one."""
        try:
            envelope = EventEnvelope.from_kafka([(k, v.encode()) for k, v in self.headers], self.value)
            uuid.UUID(envelope.id)  # the outbox keys rows by event id, a UUID as every producer here writes
        except ValueError as exc:  # InvalidEvent, a validation error, a non-UUID id
            raise Conflict(f"This record is not a CloudEvent that can be sent again ({exc}); discard it.") from None
        return envelope

    def replay(self, actor: str) -> EventEnvelope:
        """Mark it replayed and return the event to publish again (409 when not open, or not a readable event)."""
        self._must_be_open()
        envelope = self.event()
        self.status, self.resolved_by, self.updated_at = "replayed", actor, datetime.now(UTC)
        return envelope

    def discard(self, actor: str) -> None:
        """Close it without applying it (409 when not open)."""
        self._must_be_open()
        self.status, self.resolved_by, self.updated_at = "discarded", actor, datetime.now(UTC)

