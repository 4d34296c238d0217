"""Retention policies and the record of every retention run."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, Text, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Unprocessable, field_error
from talentkit.uow import RecordsEvents

from ats.db import Base

# 41 CFR 60-1.12(a): a federal contractor keeps applicant and personnel records for two years.
FEDERAL_CONTRACTOR_MINIMUM_DAYS = 730


class HireRule(StrEnum):
    KEEP = "keep"  # the hire's ATS record stays as it is
    MINIMAL_RECORD = "minimal_record"  # contact points and free text go once the HRIS holds the employee


class RetentionPolicy(RecordsEvents, Base):
    __tablename__ = "retention_policies"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    name: Mapped[str] = mapped_column(Text)
    office: Mapped[str | None] = mapped_column(Text, unique=True, comment="matches jobs.location, case-insensitively")
    jurisdiction: Mapped[str | None] = mapped_column(Text, unique=True, comment="matches jobs.jurisdiction or its country")
    keep_days: Mapped[int] = mapped_column(Integer, comment="after the last application closed without a hire")
    federal_contractor: Mapped[bool] = mapped_column(Boolean, default=False)
    hires: Mapped[HireRule] = mapped_column(Text, default=HireRule.KEEP)
    hire_minimal_after_days: Mapped[int] = mapped_column(Integer, default=0,
                                                         comment="days after the hire (the HRIS hand-off)")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)

    FIELDS = ("name", "office", "jurisdiction", "keep_days", "federal_contractor", "hires", "hire_minimal_after_days")

    @classmethod
    def define(cls, values: dict[str, Any], actor: str) -> RetentionPolicy:
        """A new policy (a federal contractor's keeps records at least two years)."""
        now = datetime.now(UTC)
        policy = cls(id=uuid.uuid4(), version=1, created_at=now, updated_at=now, created_by=actor, updated_by=actor,
                     **{"federal_contractor": False, "hires": HireRule.KEEP, "hire_minimal_after_days": 0, **values})
        policy._check()
        policy._audited("defined", {k: {"before": None, "after": getattr(policy, k)} for k in cls.FIELDS})
        return policy

    def change(self, values: dict[str, Any], actor: str) -> dict[str, Any]:
        """Apply changed fields; returns `{field: {before, after}}`."""
        changes = {k: {"before": getattr(self, k), "after": v} for k, v in values.items() if getattr(self, k) != v}
        for k, c in changes.items():
            setattr(self, k, c["after"])
        self._check()
        if changes:
            self.version += 1
            self.updated_at, self.updated_by = datetime.now(UTC), actor
            self._audited("changed", changes)
        return changes

    def retired(self) -> None:
        self._audited("retired", {"name": {"before": self.name, "after": None}})

    @property
    def effective_keep_days(self) -> int:
        return max(self.keep_days, FEDERAL_CONTRACTOR_MINIMUM_DAYS) if self.federal_contractor else self.keep_days

    def _check(self) -> None:
        if self.office and self.jurisdiction:
            raise Unprocessable("A policy applies by office or by jurisdiction, not both.",
                                errors=[field_error("jurisdiction", "give office or jurisdiction, not both")])
        if self.federal_contractor and self.keep_days < FEDERAL_CONTRACTOR_MINIMUM_DAYS:
            raise Unprocessable(
                "A US federal contractor keeps applicant records at least two years (41 CFR 60-1.12).",
                errors=[field_error("keep_days", f"at least {FEDERAL_CONTRACTOR_MINIMUM_DAYS} with federal_contractor")])

    def _audited(self, what: str, changes: dict[str, Any]) -> None:
        self.record_event(f"ats.retention_policy.{what}.internal", internal=True, changes=changes,
                          data={"retention_policy_id": self.id})


class RetentionRun(Base):
    """One pass of the retention job (or a manual run): when, as of which time, and what it did."""

    __tablename__ = "retention_runs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    trigger: Mapped[str] = mapped_column(Text, comment="schedule | manual")
    as_of: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(Text, comment="running | finished | failed")
    anonymised: Mapped[int] = mapped_column(Integer, default=0)
    minimised: Mapped[int] = mapped_column(Integer, default=0)
    held: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, default=list)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
