"""The Offer aggregate owns its state machine:
draft → approval_pending → approved → sent → accepted | declined, and rescinded from any open state."""
from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import Conflict, Unprocessable, field_error

from ats.applications.models import Application, ApplicationStatus
from ats.db import Base


class OfferStatus(StrEnum):
    DRAFT = "draft"
    APPROVAL_PENDING = "approval_pending"
    APPROVED = "approved"
    SENT = "sent"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    RESCINDED = "rescinded"


OPEN = frozenset({OfferStatus.DRAFT, OfferStatus.APPROVAL_PENDING, OfferStatus.APPROVED, OfferStatus.SENT})
# action -> (statuses it is allowed from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[OfferStatus], OfferStatus]] = {
    "request approval for": (frozenset({OfferStatus.DRAFT}), OfferStatus.APPROVAL_PENDING),
    "approve": (frozenset({OfferStatus.APPROVAL_PENDING}), OfferStatus.APPROVED),
    "send": (frozenset({OfferStatus.APPROVED}), OfferStatus.SENT),
    "accept": (frozenset({OfferStatus.SENT}), OfferStatus.ACCEPTED),
    "decline": (frozenset({OfferStatus.SENT}), OfferStatus.DECLINED),
    "rescind": (OPEN, OfferStatus.RESCINDED),
}
REQUIRED_FOR_APPROVAL = ("start_date", "salary", "currency")


class Offer(Base):
    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("application_id", "offer_version", name="uq_offers_application_version"),
                      Index("ix_offers_created", "created_at", "id"))

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    offer_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[OfferStatus] = mapped_column(Text, default=OfferStatus.DRAFT)
    start_date: Mapped[date | None] = mapped_column(Date)
    salary: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    currency: Mapped[str | None] = mapped_column(Text)
    terms: Mapped[str | None] = mapped_column(Text)
    approver: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(Text)
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    application: Mapped[Application] = relationship(lazy="selectin")

    @classmethod
    def draft(cls, application: Application, offer_version: int, values: dict[str, Any], actor: str) -> Offer:
        """A new draft offer for an active application."""
        if application.status != ApplicationStatus.ACTIVE:
            raise Conflict(f"Offers need an active application; this one is {application.status}.",
                           application_status=str(application.status))
        _check_money(values.get("salary"), values.get("currency"))
        now = datetime.now(UTC)
        return cls(id=uuid.uuid4(), application_id=application.id, application=application, offer_version=offer_version,
                   status=OfferStatus.DRAFT, version=1, created_at=now, updated_at=now, created_by=actor,
                   updated_by=actor, **values)

    def edit(self, values: dict[str, Any], actor: str) -> dict[str, dict[str, Any]]:
        """Change terms while still a draft; returns `{field: {before, after}}`."""
        if self.status != OfferStatus.DRAFT:
            raise Conflict(f"Only a draft offer can be edited; this one is {self.status}.", offer_status=str(self.status))
        _check_money(values.get("salary", self.salary), values.get("currency", self.currency))
        changes = {k: {"before": getattr(self, k), "after": v} for k, v in values.items() if getattr(self, k) != v}
        for k, c in changes.items():
            setattr(self, k, c["after"])
        if changes:
            self._touch(actor)
        return changes

    def request_approval(self, actor: str) -> None:
        missing = [f for f in REQUIRED_FOR_APPROVAL if getattr(self, f) is None]
        if missing and self.status == OfferStatus.DRAFT:
            raise Unprocessable("Fill in the offer before asking for approval.",
                                errors=[field_error(f, "required before approval") for f in missing])
        self._go("request approval for", actor)

    def approve(self, actor: str) -> None:
        self._go("approve", actor)
        self.approved_by, self.approved_at = actor, self.updated_at

    def send(self, actor: str) -> None:
        self._go("send", actor)
        self.sent_at = self.updated_at

    def accept(self, actor: str) -> None:
        self._go("accept", actor)
        self.resolved_at = self.updated_at

    def decline(self, reason: str, actor: str) -> None:
        self._go("decline", actor)
        self.decline_reason, self.resolved_at = reason, self.updated_at

    def rescind(self, actor: str) -> None:
        self._go("rescind", actor)
        self.resolved_at = self.updated_at

    def _go(self, action: str, actor: str) -> None:
        allowed, target = TRANSITIONS[action]
        if self.status not in allowed:
            raise Conflict(f"Cannot {action} an offer that is {self.status} (allowed from: {', '.join(sorted(allowed))}).",
                           offer_status=str(self.status))
        self.status = target
        self._touch(actor)

    def _touch(self, actor: str) -> None:
        self.version += 1
        self.updated_at = datetime.now(UTC)
        self.updated_by = actor

    def snapshot(self) -> dict[str, object]:
        return {"id": self.id, "application_id": self.application_id, "candidate_id": self.application.candidate_id,
                "job_id": self.application.job_id, "offer_version": self.offer_version, "status": self.status,
                "start_date": self.start_date, "version": self.version}


def _check_money(salary: Decimal | None, currency: str | None) -> None:
    if salary is not None and currency is None:
        raise Unprocessable("A salary needs its currency.", errors=[field_error("currency", "required with salary")])
