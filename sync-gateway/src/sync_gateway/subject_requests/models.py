"""A data-subject request and what became of it."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared_schemas.erasure import email_hash
from sqlalchemy import Boolean, DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict

from sync_gateway.db import Base

DUE_AFTER = timedelta(days=30)  # Art. 12(3) GDPR: one month


class RequestType(StrEnum):
    ACCESS = "access"
    ERASURE = "erasure"
    RECTIFICATION = "rectification"


class RequestStatus(StrEnum):
    AWAITING_VERIFICATION = "awaiting_verification"  # nothing is done before the person's identity is verified
    IN_PROGRESS = "in_progress"  # being carried out (or to be retried: a side was unreachable)
    BLOCKED = "blocked"  # a side refused (e.g. a legal hold in the ATS): see `outcome`
    COMPLETED = "completed"


class DataSubjectRequest(Base):
    __tablename__ = "data_subject_requests"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    type: Mapped[str] = mapped_column(Text)
    emails: Mapped[list[str]] = mapped_column(ARRAY(Text), comment="blanked once an erasure is complete")
    email_hashes: Mapped[list[str]] = mapped_column(ARRAY(Text))
    requested_by: Mapped[str] = mapped_column(Text, comment="who asked: the person, or who acts for them")
    identity_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    changes: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, comment="rectification: the corrected fields")
    status: Mapped[str] = mapped_column(Text)
    outcome: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, comment="what was found and done, by side (ids)")
    bundle: Mapped[dict[str, Any] | None] = mapped_column(JSONB, comment="access: the export, until erased")
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    @classmethod
    def receive(cls, *, type: str, emails: list[str], requested_by: str, identity_verified: bool,
                changes: dict[str, Any], now: datetime, actor: str) -> DataSubjectRequest:
        """A new request, due in a month; it waits until the person's identity is verified."""
        emails = list(dict.fromkeys(e.strip().lower() for e in emails))
        return cls(id=uuid.uuid4(), type=type, emails=emails, email_hashes=[email_hash(e) for e in emails],
                   requested_by=requested_by, identity_verified=identity_verified, changes=changes,
                   status=RequestStatus.IN_PROGRESS if identity_verified else RequestStatus.AWAITING_VERIFICATION,
                   outcome={}, bundle=None, received_at=now, due_at=now + DUE_AFTER, created_by=actor, version=1,
                   created_at=now, updated_at=now)

    def verified(self, now: datetime) -> None:
        """The person's identity was checked: the request can be carried out."""
        if self.status != RequestStatus.AWAITING_VERIFICATION:
            raise Conflict(f"The request is {self.status}; only one awaiting verification can be verified.")
        self.identity_verified, self.status = True, RequestStatus.IN_PROGRESS
        self._touch(now)

    def ready(self) -> None:
        """409 unless the request may be carried out now."""
        if self.status not in (RequestStatus.IN_PROGRESS, RequestStatus.BLOCKED):
            raise Conflict(f"The request is {self.status}.", request_status=self.status)

    def done(self, outcome: dict[str, Any], now: datetime, *, blocked: bool = False,
             bundle: dict[str, Any] | None = None) -> None:
        self.outcome, self.bundle = outcome, bundle if bundle is not None else self.bundle
        self.status = RequestStatus.BLOCKED if blocked else RequestStatus.COMPLETED
        self.completed_at = None if blocked else now
        if self.type == RequestType.ERASURE and not blocked:
            self.emails = []  # only the hashes stay: the proof that the request was carried out
        self._touch(now)

    def forget(self, now: datetime) -> None:
        """A later erasure of the same person: this request keeps its facts, not their data."""
        self.emails, self.bundle, self.changes = [], None, {}
        self._touch(now)

    @property
    def bundle_available(self) -> bool:
        return self.bundle is not None

    def overdue_at(self, now: datetime) -> bool:
        """Past its due date and not completed, at `now` (the app's clock: tests move it)."""
        return self.status != RequestStatus.COMPLETED and self.due_at < now

    def _touch(self, now: datetime) -> None:
        self.version += 1
        self.updated_at = now
