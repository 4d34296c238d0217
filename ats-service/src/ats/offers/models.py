"""The Offer aggregate owns its state machine:
draft → approval_pending → approved → sent → accepted | declined, and rescinded from any open state. Approval
follows the named approver chain in order (each approver in turn; the last approval makes the offer `approved`);
the next approver may instead reject it back to draft; the offer's author never approves their own offer."""
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
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import Conflict, Forbidden, Unprocessable, field_error
from talentkit.uow import RecordsEvents

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
    "send": (frozenset({OfferStatus.APPROVED}), OfferStatus.SENT),
    "accept": (frozenset({OfferStatus.SENT}), OfferStatus.ACCEPTED),
    "decline": (frozenset({OfferStatus.SENT}), OfferStatus.DECLINED),
    "rescind": (OPEN, OfferStatus.RESCINDED),
    "reject": (frozenset({OfferStatus.APPROVAL_PENDING}), OfferStatus.DRAFT),
}
REQUIRED_FOR_APPROVAL = ("start_date", "salary", "currency", "approvers")


class Offer(RecordsEvents, Base):
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
    # The named approver chain, in order (lower-cased user ids or emails), and this round's decisions on it.
    approvers: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    approvals: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list, server_default="[]")
    drafted_by: Mapped[str] = mapped_column(Text)  # the author (see ats.users.acting_user): never one of its approvers
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
    def draft(cls, application: Application, offer_version: int, values: dict[str, Any], *, author: str,
              actor: str) -> Offer:
        """A new draft offer for an active application, written by `author` (who can never approve it)."""
        if application.status != ApplicationStatus.ACTIVE:
            raise Conflict(f"Offers need an active application; this one is {application.status}.",
                           application_status=str(application.status))
        _check_money(values.get("salary"), values.get("currency"))
        _check_approvers(values.get("approvers") or [], author)
        now = datetime.now(UTC)
        offer = cls(id=uuid.uuid4(), application_id=application.id, application=application, offer_version=offer_version,
                    status=OfferStatus.DRAFT, version=1, created_at=now, updated_at=now, created_by=actor,
                    updated_by=actor, drafted_by=author, approvals=[], **{"approvers": [], **values})
        offer.record_event("ats.offer.created.v1", data={"offer": offer.snapshot()}, changes={
            "application_id": {"before": None, "after": application.id},
            "offer_version": {"before": None, "after": offer_version},
            **{k: {"before": None, "after": v} for k, v in values.items()}})
        return offer

    @property
    def approver(self) -> str | None:
        """The first approver of the chain (what the single `approver` field used to be)."""
        return self.approvers[0] if self.approvers else None

    @property
    def next_approver(self) -> str | None:
        """Whose approval the offer waits for, while approval is pending."""
        return self._awaited() if self.status == OfferStatus.APPROVAL_PENDING else None

    def edit(self, values: dict[str, Any], actor: str) -> dict[str, dict[str, Any]]:
        """Change terms while still a draft; returns `{field: {before, after}}`."""
        if self.status != OfferStatus.DRAFT:
            raise Conflict(f"Only a draft offer can be edited; this one is {self.status}.", offer_status=str(self.status))
        _check_money(values.get("salary", self.salary), values.get("currency", self.currency))
        if "approvers" in values:
            values = {**values, "approvers": values["approvers"] or []}
            _check_approvers(values["approvers"], self.drafted_by)
        changes = {k: {"before": getattr(self, k), "after": v} for k, v in values.items() if getattr(self, k) != v}
        for k, c in changes.items():
            setattr(self, k, c["after"])
        if changes:
            self._touch(actor)
            self._happened_inside("updated", changes)
        return changes

    def request_approval(self, actor: str) -> None:
        """Ask the approver chain, from its first approver, once the offer is complete."""
        missing = [f for f in REQUIRED_FOR_APPROVAL if getattr(self, f) in (None, [])]
        if missing and self.status == OfferStatus.DRAFT:
            raise Unprocessable("Fill in the offer before asking for approval.",
                                errors=[field_error(f, "required before approval") for f in missing])
        if self.status == OfferStatus.DRAFT:
            _check_approvers(self.approvers, self.drafted_by)
        self._go("request approval for", actor)
        self.approvals = []  # a new round: the whole chain approves again
        self._happened_inside("approval_pending", {"status": {"before": OfferStatus.DRAFT, "after": self.status}})

    def approve(self, *, by: str, principal: str, actor: str) -> dict[str, dict[str, Any]]:
        """`by`'s approval, who must be the next approver of the chain (`principal` sent it); the last approval
        approves the offer. Returns `{field: {before, after}}`."""
        self._their_turn(by, "approve")
        before = self.status
        self._touch(actor)
        self.approvals = [*self.approvals, _decision(by, "approved", principal, self.updated_at)]
        changes: dict[str, dict[str, Any]] = {"approver": {"before": None, "after": by}}
        if self._awaited() is None:  # the last approval of the chain
            self.status = OfferStatus.APPROVED
            self.approved_by, self.approved_at = by, self.updated_at
            changes["approved_by"] = {"before": None, "after": by}
        changes["status"] = {"before": before, "after": self.status}
        if self.status == OfferStatus.APPROVED:
            self.record_event("ats.offer.approved.v1", data={"offer": self.snapshot()}, changes=changes)
        else:  # one step of the chain: inside the ATS only
            self._happened_inside("approval_given", changes)
        return changes

    def reject(self, *, by: str, reason: str, principal: str, actor: str) -> dict[str, dict[str, Any]]:
        """`by`, the next approver, sends the offer back to draft with a reason (edit it, then ask again)."""
        self._their_turn(by, "reject")
        self._go("reject", actor)
        self.approvals = [*self.approvals, _decision(by, "rejected", principal, self.updated_at, reason)]
        changes: dict[str, dict[str, Any]] = {"approver": {"before": None, "after": by}, "reason": {"before": None, "after": reason},
                   "status": {"before": OfferStatus.APPROVAL_PENDING, "after": self.status}}
        self._happened_inside("approval_rejected", changes)
        return changes

    def _awaited(self) -> str | None:
        done = sum(1 for a in self.approvals if a["decision"] == "approved")
        return self.approvers[done] if done < len(self.approvers) else None

    def _their_turn(self, who: str, verb: str) -> None:
        """Raise unless `who` is the approver the chain waits for (never the offer's author)."""
        if self.status != OfferStatus.APPROVAL_PENDING:
            raise Conflict(f"Cannot {verb} an offer that is {self.status} (allowed from: approval_pending).",
                           offer_status=str(self.status))
        who = who.lower()
        if who == self.drafted_by.lower():
            raise Forbidden("The offer's author cannot approve or reject it: approvals come from the named approvers.",
                            reason="self_approval")
        if who not in self.approvers:
            raise Forbidden(f"{who} is not one of the offer's approvers.", reason="not_an_approver",
                            approvers=list(self.approvers))
        if who != self.next_approver:
            raise Conflict(f"Approvals follow the named order; the offer waits for {self.next_approver}.",
                           reason="out_of_order", next_approver=self.next_approver, offer_status=str(self.status))

    def send(self, actor: str) -> None:
        """The approved offer went to the candidate."""
        self._go("send", actor)
        self.sent_at = self.updated_at
        self.record_event("ats.offer.sent.v1", data={"offer": self.snapshot()},
                          changes={"status": {"before": OfferStatus.APPROVED, "after": self.status}})

    def accept(self, actor: str) -> None:
        """The candidate accepted (the application becomes hireable: see `applications.handlers`)."""
        self._go("accept", actor)
        self.resolved_at = self.updated_at
        self.record_event("ats.offer.accepted.v1", data={"offer": self.snapshot()}, time=self.resolved_at,
                          changes={"status": {"before": OfferStatus.SENT, "after": self.status}})

    def decline(self, reason: str, actor: str) -> None:
        """The candidate declined, with their reason."""
        self._go("decline", actor)
        self.decline_reason, self.resolved_at = reason, self.updated_at
        self.record_event("ats.offer.declined.v1", data={"offer": self.snapshot(), "reason": reason},
                          changes={"status": {"before": OfferStatus.SENT, "after": self.status},
                                   "decline_reason": {"before": None, "after": reason}})

    def rescind(self, reason: str | None, actor: str) -> None:
        """Withdraw an offer still in play (inside the ATS only: no public event)."""
        before = self.status
        self._go("rescind", actor)
        self.resolved_at = self.updated_at
        self._happened_inside("rescinded", {"status": {"before": before, "after": self.status},
                                            "reason": {"before": None, "after": reason}})

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

    def _happened_inside(self, what: str, changes: dict[str, Any]) -> None:
        """A change integrators are not told about (drafts and approval stay in the ATS); audited all the same."""
        self.record_event(f"ats.offer.{what}.internal", internal=True, changes=changes,
                          data={"offer_id": self.id, "candidate_id": self.application.candidate_id})

    def snapshot(self) -> dict[str, object]:
        return {"id": self.id, "application_id": self.application_id, "candidate_id": self.application.candidate_id,
                "job_id": self.application.job_id, "offer_version": self.offer_version, "status": self.status,
                "start_date": self.start_date, "version": self.version}


def _decision(who: str, decision: str, principal: str, at: datetime, reason: str | None = None) -> dict[str, Any]:
    return {"approver": who, "decision": decision, "reason": reason, "principal": principal, "at": at.isoformat()}


def _check_approvers(approvers: list[str], author: str) -> None:
    if author.lower() in approvers:
        raise Unprocessable("The offer's author cannot be one of its approvers.",
                            errors=[field_error("approvers", f"{author.lower()} drafted the offer")])


def _check_money(salary: Decimal | None, currency: str | None) -> None:
    if salary is not None and currency is None:
        raise Unprocessable("A salary needs its currency.", errors=[field_error("currency", "required with salary")])
