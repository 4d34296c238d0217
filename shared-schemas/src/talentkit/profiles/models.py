"""Profile columns and the profile's own rules (what counts as a change, versions, field times)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from talentkit.uow import RecordsEvents

PROFILE_FIELDS = ("first_name", "last_name", "emails", "phones", "location", "headline", "tags", "source")


class ProfileMixin(RecordsEvents):
    """A person's profile as stored: synced fields, per-field change times, version and who changed it; it records
    its own events (`*.created.v1`, `*.updated.v1`)."""

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    first_name: Mapped[str] = mapped_column(Text)
    last_name: Mapped[str] = mapped_column(Text)
    emails: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    phones: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    location: Mapped[str | None] = mapped_column(Text)
    headline: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    source: Mapped[str | None] = mapped_column(Text)
    field_times: Mapped[dict[str, str]] = mapped_column(JSONB, default=dict)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)

    # Service-specific profile fields (e.g. the CRM's current_company), carried in events like the shared ones.
    EXTRA_FIELDS: tuple[str, ...] = ()
    LIST_FIELDS: tuple[str, ...] = ("emails", "phones", "tags")

    def start(self, values: dict[str, Any], *, at: datetime, actor: str) -> None:
        """Fill a new profile; every given field gets `at` as its change time. Every column a response or event
        reads is set here, the id too, so the profile can be answered before its INSERT is flushed."""
        if self.id is None:
            self.id = uuid.uuid4()
        for name in (*PROFILE_FIELDS, *self.EXTRA_FIELDS):
            setattr(self, name, values.get(name, [] if name in self.LIST_FIELDS else None))
        self.field_times = {name: at.isoformat() for name in (*PROFILE_FIELDS, *self.EXTRA_FIELDS)
                            if values.get(name) not in (None, [])}
        self.version = 1
        self.created_at = self.updated_at = datetime.now(UTC)
        self.created_by = self.updated_by = actor

    def change(self, values: dict[str, Any], *, at: datetime, actor: str,
               field_at: dict[str, datetime] | None = None) -> dict[str, dict[str, Any]]:
        """Apply the fields that really differ; bump the version once; return {field: {before, after}}.
        `field_at` gives some fields their own change time (a sync write carrying each field's source time)."""
        changes: dict[str, dict[str, Any]] = {}
        for name, new in values.items():
            old = getattr(self, name)
            if old != new:
                changes[name] = {"before": old, "after": new}
                setattr(self, name, new)
        if changes:
            times = dict(self.field_times or {})
            for name in changes:
                # A field's time never goes backwards on one side, even with clock skew between services:
                # latest-wins across systems relies on it. An edit made here moves it strictly forward; a sync
                # write may keep it (the winner of a tie between equal times, the ATS, brings that same time).
                previous = datetime.fromisoformat(times[name]) if name in times else None
                synced = (field_at or {}).get(name)
                when = synced or at
                floor = previous if synced or previous is None else previous + timedelta(microseconds=1)
                times[name] = (max(when, floor) if floor else when).isoformat()
            self.field_times = times
            self.version += 1
            self.updated_at = datetime.now(UTC)
            self.updated_by = actor
        return changes

    def snapshot(self) -> dict[str, Any]:
        """The profile as carried in events."""
        return {
            "id": str(self.id), "version": self.version,
            "created_at": self.created_at.isoformat(), "updated_at": self.updated_at.isoformat(),
            "field_times": dict(self.field_times or {}),
            **{name: getattr(self, name) for name in (*PROFILE_FIELDS, *self.EXTRA_FIELDS)},
        }
