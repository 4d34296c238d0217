"""An alert raised for a recruiter; it records `crm.alert.raised.v1` when raised."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict
from talentkit.uow import RecordsEvents

from crm.db import Base

TOPIC = "crm.alerts"


def without_names(data: dict[str, Any]) -> dict[str, Any]:
    """An alert's data as published: the matches without people's names."""
    matches = data.get("matches")
    if not isinstance(matches, list):
        return data
    return {**data, "matches": [{k: v for k, v in m.items() if k != "name"} if isinstance(m, dict) else m for m in matches]}


class Alert(RecordsEvents, Base):
    __tablename__ = "alerts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(Text)  # job_matches | engagement_threshold | send_failed | push_failed | compliance_mail_failing
    recipient: Mapped[str | None] = mapped_column(Text, index=True)
    title: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict)
    status: Mapped[str] = mapped_column(Text, default="open")  # open | acknowledged
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)

    @classmethod
    def raise_for(cls, *, kind: str, recipient: str | None, title: str, data: dict[str, Any]) -> Alert:
        """A new open alert; records `crm.alert.raised.v1`."""
        now = datetime.now(UTC)
        alert = cls(id=uuid.uuid4(), kind=kind, recipient=recipient, title=title, data=data, status="open", version=1,
                    created_at=now, updated_at=now)
        # The event names people by id only: an alert is about many people, so no one person's key could seal their
        # names in it; the recruiter reads the names in the alert itself, which erasure blanks.
        alert.record_event("crm.alert.raised.v1", topic=TOPIC, data={
            "alert_id": alert.id, "kind": kind, "recipient": recipient, "title": title, "data": without_names(data)},
            changes={"status": {"before": None, "after": "open"}})
        return alert

    def forget(self, prospect_id: str) -> bool:
        """Erasure: the prospect's name leaves the alert's matches; True when it held one."""
        matches = self.data.get("matches") if isinstance(self.data, dict) else None
        if not isinstance(matches, list) or not any(m.get("prospect_id") == prospect_id and m.get("name") for m in matches):
            return False
        self.data = {**self.data, "matches": [{**m, "name": None} if m.get("prospect_id") == prospect_id else m
                                              for m in matches]}
        self.version, self.updated_at = self.version + 1, datetime.now(UTC)
        return True

    def acknowledge(self) -> None:
        """Mark the alert seen; 409 when it already is."""
        if self.status == "acknowledged":
            raise Conflict("The alert is already acknowledged.")
        self.status, self.version, self.updated_at = "acknowledged", self.version + 1, datetime.now(UTC)
