"""Webhook endpoints, one delivery per (endpoint, event), and every attempt of a delivery; the rules of what an
attempt's outcome does to both live here."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Mapped, mapped_column, relationship

from sync_gateway.db import Base
from sync_gateway.webhooks import signing
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.delivery import Outcome, next_delay

DISPATCHER = "sync-gateway (webhook dispatcher)"


class WebhookEndpoint(Base):
    """An integrator's URL and the event types it wants."""

    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    url: Mapped[str] = mapped_column(Text)
    event_types: Mapped[list[str]] = mapped_column(ARRAY(Text))
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled_reason: Mapped[str | None] = mapped_column(Text)
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    failing_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    secret: Mapped[str] = mapped_column(Text)
    previous_secret: Mapped[str | None] = mapped_column(Text)
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())

    @classmethod
    def subscribe(cls, *, url: str, event_types: list[str], description: str | None, actor: str) -> WebhookEndpoint:
        """A new, enabled endpoint with a fresh signing secret."""
        return cls(url=url, event_types=event_types, description=description, enabled=True,
                   secret=signing.new_secret(), version=1, created_by=actor, updated_by=actor)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The current secret, plus the previous one while its overlap lasts."""
        keep_previous = self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now
        return [self.secret, self.previous_secret] if keep_previous else [self.secret]  # type: ignore[list-item]

    def _touch(self, actor: str) -> None:
        self.version += 1
        self.updated_by = actor

    def change(self, values: dict[str, Any], actor: str) -> None:
        """Apply the fields that differ (url, event_types, description); a new version only when something did."""
        changed = {k: v for k, v in values.items() if getattr(self, k) != v}
        for k, v in changed.items():
            setattr(self, k, v)
        if changed:
            self._touch(actor)

    def disable(self, reason: str, now: datetime, actor: str = DISPATCHER) -> bool:
        """Stop sending to it, saying why; False when it already was disabled."""
        if not self.enabled:
            return False
        self.enabled, self.disabled_reason, self.disabled_at = False, reason, now
        self._touch(actor)
        return True

    def enable(self, actor: str) -> bool:
        """Send again; clears the reason and the failure streak. False when it already was enabled."""
        if self.enabled:
            return False
        self.enabled, self.disabled_reason, self.disabled_at, self.failing_since = True, None, None, None
        self._touch(actor)
        return True

    def rotate_secret(self, overlap: timedelta, now: datetime, actor: str) -> None:
        """A new secret signs from now on; the old one signs too until the overlap ends."""
        self.previous_secret, self.previous_secret_expires_at = self.secret, now + overlap
        self.secret = signing.new_secret()
        self._touch(actor)

    def record_success(self) -> None:
        self.failing_since = None

    def record_failure(self, outcome: Outcome, settings: WebhookSettings, now: datetime) -> None:
        """410 Gone disables at once; failing without a break for `disable_after_failing_seconds` disables too."""
        if outcome.gone:
            self.disable("The endpoint answered 410 Gone.", now)
            return
        self.failing_since = self.failing_since or now
        failing_for = (now - self.failing_since).total_seconds()
        if failing_for >= settings.disable_after_failing_seconds:
            self.disable(f"Every delivery failed since {self.failing_since.isoformat()} ({failing_for / 3600:.0f} h); "
                         "re-enable it once the receiver works.", now)


class WebhookDelivery(Base):
    """One event for one endpoint; `webhook-id` is the event id, the same on every attempt and replay.

    `pending` with a `next_attempt_at` is due then (the dispatcher's claim moves it forward by a lease while it
    sends); `pending` with none waits for its disabled endpoint to be enabled again."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_due", "next_attempt_at", postgresql_where=text("status = 'pending'")),
        Index("ix_webhook_deliveries_person_ids", "person_ids", postgresql_using="gin"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    endpoint_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(Text)
    event_type: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)  # the exact JSON sent (and signed) on every attempt
    # The people the event is about (candidate and prospect ids): what an erasure looks for, as the body holds their data.
    person_ids: Mapped[list[str]] = mapped_column(postgresql.ARRAY(Text), default=list, server_default=text("'{}'"))
    status: Mapped[str] = mapped_column(Text, default="pending")  # pending | succeeded | failed
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    retry_step: Mapped[int] = mapped_column(Integer, default=0)  # index into the retry schedule; 0 again on replay
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), onupdate=func.now())

    attempts: Mapped[list[WebhookAttempt]] = relationship(order_by="WebhookAttempt.number", lazy="raise")

    def record_attempt(self, endpoint: WebhookEndpoint, outcome: Outcome, settings: WebhookSettings, now: datetime,
                       *, retry: bool = True) -> WebhookAttempt:
        """Record the attempt and decide what follows: done, retry on the schedule (never sooner than Retry-After),
        give up after the last step, or wait while the endpoint is disabled.

        `retry=False` (a ping) records the attempt without retries and without touching the endpoint's health."""
        self.attempt_count += 1
        self.last_attempt_at = now
        if outcome.ok:
            self.status, self.next_attempt_at = "succeeded", None
            if retry:
                endpoint.record_success()
        elif not retry or outcome.gone:
            self.status, self.next_attempt_at = "failed", None
        else:
            delay = next_delay(settings, self.retry_step, outcome.retry_after)
            self.retry_step += 1
            if delay is None:
                self.status, self.next_attempt_at = "failed", None
            else:
                self.next_attempt_at = now + timedelta(seconds=delay)
        if retry and not outcome.ok:
            endpoint.record_failure(outcome, settings, now)
        if self.status == "pending" and not endpoint.enabled:
            self.next_attempt_at = None
        return WebhookAttempt(delivery_id=self.id, number=self.attempt_count,
                              status="succeeded" if outcome.ok else "failed", response_status=outcome.response_status,
                              latency_ms=outcome.latency_ms, response_excerpt=outcome.excerpt, error=outcome.error,
                              next_attempt_at=self.next_attempt_at, attempted_at=now)

    def replay(self, now: datetime) -> None:
        """Send again now with the same `webhook-id` and body, on a fresh retry schedule."""
        self.status, self.retry_step, self.next_attempt_at = "pending", 0, now


class WebhookAttempt(Base):
    """One POST of a delivery: outcome, response code, latency, the start of the response body."""

    __tablename__ = "webhook_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text)  # succeeded | failed
    response_status: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[float | None] = mapped_column(Float)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    attempted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
