"""Consent records (one per prospect and channel), suppressions, double opt-in requests; `sending_verdict` is the
sending rule."""
from __future__ import annotations

import calendar
import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Integer, Text, func, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.uow import RecordsEvents

from crm.db import Base

TOPIC = "crm.consents"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"


class ConsentPurpose(StrEnum):
    """What the person agreed to be contacted or kept for."""

    TALENT_POOL = "talent_pool"  # kept in the talent pool and considered for jobs
    MARKETING = "marketing"  # nurture sequences, events, employer-brand mail
    JOB_ALERTS = "job_alerts"  # mail about new matching jobs


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    REQUESTED = "requested"  # asked for on an anonymous form; granted only by the confirmation link (double opt-in)
    DECLINED = "declined"  # the person said no (e.g. to a renewal)
    EXPIRED = "expired"  # granted once, not renewed by its expiry
    WITHDRAWN = "withdrawn"
    UNKNOWN = "unknown"


class SuppressionReason(StrEnum):
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"
    MANUAL = "manual"


FIELDS = ("status", "lawful_basis", "source", "text_version", "collected_at", "expires_at")


class Consent(RecordsEvents, Base):
    """A prospect's consent for one purpose on one channel; every change (its own fields or the channel's
    suppressions) is one version step, one history row and records `crm.consent.changed.v1`."""

    __tablename__ = "consents"

    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    purpose: Mapped[str] = mapped_column(Text, primary_key=True, default=ConsentPurpose.MARKETING,
                                         server_default=ConsentPurpose.MARKETING)
    channel: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text, default=ConsentStatus.UNKNOWN)
    lawful_basis: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    text_version: Mapped[str | None] = mapped_column(Text)
    collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), comment="when it was given")
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The CRM's own renewal requests for the current expiry (reset when the consent is restated).
    renewal_requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    renewal_reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_by: Mapped[str] = mapped_column(Text)

    @property
    def id(self) -> uuid.UUID:
        """The aggregate id of its events: the prospect's (one stream of consent per person)."""
        return self.prospect_id

    @classmethod
    def nothing_recorded(cls, prospect_id: uuid.UUID, channel: str, actor: str,
                         purpose: str = ConsentPurpose.MARKETING) -> Consent:
        """The channel before any statement (version 0: its first change is version 1)."""
        return cls(prospect_id=prospect_id, purpose=purpose, channel=channel, status=ConsentStatus.UNKNOWN, version=0,
                   updated_by=actor)

    def restate(self, values: dict[str, Any], *, suppressions: tuple[list[str], list[str]], actor: str,
                ctx: Any = None) -> dict[str, dict[str, Any]]:
        """Apply a new statement and the channel's suppressions (before, after); returns what changed."""
        values = {k: values[k] if k in values else getattr(self, k) for k in FIELDS}  # what is not stated stays
        changes = {k: {"before": getattr(self, k), "after": values[k]} for k in FIELDS if getattr(self, k) != values[k]}
        for k, c in changes.items():
            setattr(self, k, c["after"])
        before, after = suppressions
        if before != after:
            changes["suppressions"] = {"before": before, "after": after}
        if changes:
            self.version += 1
            self.updated_at, self.updated_by = datetime.now(UTC), actor
            if "expires_at" in changes or "status" in changes:
                self.renewal_requested_at = self.renewal_reminded_at = None  # a new term: ask again before it ends
            self.record_event("crm.consent.changed.v1", topic=TOPIC, ctx=ctx, changes=changes, data={
                "prospect_id": self.prospect_id, "purpose": self.purpose, "channel": self.channel, "status": self.status,
                "lawful_basis": self.lawful_basis, "source": self.source, "text_version": self.text_version,
                "expires_at": self.expires_at, "suppressions": after, "changes": changes})
        return changes

    def statement(self) -> dict[str, Any]:
        """The consent's own fields, as a statement to restate."""
        return {k: getattr(self, k) for k in FIELDS}

    @property
    def renewable(self) -> bool:
        """Given by consent with an expiry: the CRM asks to renew it before it ends."""
        return self.status == ConsentStatus.GRANTED and self.lawful_basis == "consent" and self.expires_at is not None

    def expire(self, now: datetime, actor: str) -> dict[str, dict[str, Any]]:
        """Not renewed by its expiry: `expired`; records `crm.consent.expired.v1` besides the change."""
        changes = self.restate({**self.statement(), "status": ConsentStatus.EXPIRED}, suppressions=([], []), actor=actor)
        self.record_event("crm.consent.expired.v1", topic=TOPIC, data={
            "prospect_id": self.prospect_id, "purpose": self.purpose, "channel": self.channel, "expired_at": self.expires_at or now})
        return changes

    def allows(self, now: datetime) -> bool:
        """Granted and unexpired, or a legitimate-interest basis not withdrawn."""
        if self.expires_at is not None and self.expires_at <= now:
            return False
        if self.status == ConsentStatus.GRANTED:
            return True
        return self.lawful_basis == "legitimate_interest" and self.status != ConsentStatus.WITHDRAWN

    def stop_email(self, reason: str) -> None:
        """Email may no longer go to this prospect (`reason`): recorded for the features that must react
        (running enrollments exit)."""
        self.record_event("crm.consent.email_stopped.internal", internal=True,
                          data={"prospect_id": self.prospect_id, "reason": reason})


class ConsentHistory(Base):
    """Every statement a consent went through, oldest first: the proof of what was agreed when."""

    __tablename__ = "consent_history"
    __table_args__ = (Index("ix_consent_history_prospect", "prospect_id", "changed_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"))
    purpose: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(Text)
    lawful_basis: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(Text)
    text_version: Mapped[str | None] = mapped_column(Text)
    collected_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    suppressions: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_by: Mapped[str] = mapped_column(Text)

    @classmethod
    def of(cls, consent: Consent, suppressions: list[str], at: datetime) -> ConsentHistory:
        return cls(id=uuid.uuid4(), prospect_id=consent.prospect_id, purpose=consent.purpose, channel=consent.channel,
                   version=consent.version, suppressions=suppressions, changed_at=at, changed_by=consent.updated_by,
                   **consent.statement())


class Suppression(Base):
    __tablename__ = "suppressions"

    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), primary_key=True)
    channel: Mapped[str] = mapped_column(Text, primary_key=True)
    reason: Mapped[str] = mapped_column(Text, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)


def add_months(at: datetime, months: int) -> datetime:
    """`at` plus calendar months (the day clamped to the month's length)."""
    m = at.month - 1 + months
    year, month = at.year + m // 12, m % 12 + 1
    return at.replace(year=year, month=month, day=min(at.day, calendar.monthrange(year, month)[1]))


def sending_verdict(consent: Consent | None, suppressions: list[str], now: datetime) -> str | None:
    """None when a message may go out on the channel for the consent's purpose, else the exit reason
    (`unsubscribed`, `bounced`, `suppressed`, `consent_missing`)."""
    for reason in (SuppressionReason.UNSUBSCRIBED, SuppressionReason.BOUNCED):
        if reason in suppressions:
            return str(reason)
    if suppressions:
        return "suppressed"
    if consent is None or not consent.allows(now):
        return "consent_missing"
    return None


class ConsentRequest(Base):
    """One double opt-in: an anonymous form asked for email consent of `purpose` for `address`; the confirmation
    mail's link grants it. Kept as the proof of when consent was asked for and confirmed."""

    __tablename__ = "consent_requests"
    __table_args__ = (Index("ix_consent_requests_mail_due", "next_attempt_at", postgresql_where=text("mail_state = 'pending'")),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    prospect_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prospects.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(Text, default="email")
    purpose: Mapped[str] = mapped_column(Text, default=ConsentPurpose.MARKETING, server_default=ConsentPurpose.MARKETING)
    address: Mapped[str | None] = mapped_column(Text)  # where the confirmation goes; blanked on erasure
    source: Mapped[str] = mapped_column(Text)
    text_version: Mapped[str] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    mail_state: Mapped[str] = mapped_column(Text, default="pending")  # pending | sent | failed | cancelled
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(Text)
