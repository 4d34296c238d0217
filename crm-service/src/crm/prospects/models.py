"""The Prospect aggregate: the shared profile plus what only the CRM knows (work details, skills, owner, status),
and the rules of its lifecycle: pushed to an ATS job, merged into a survivor, erased; each records its event."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Computed, DateTime, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict
from talentkit.profiles.erasure import anonymise, erased_payload
from talentkit.profiles.models import ProfileMixin

from crm.compliance import art14
from crm.db import Base
from crm.errors import Gone
from crm.search.document import DOCUMENT


class Prospect(ProfileMixin, Base):
    """A person the CRM knows: sourced, referred, met at an event, signed up, or imported from the ATS."""

    __tablename__ = "prospects"
    __table_args__ = (
        Index("ix_prospects_emails", "emails", postgresql_using="gin", postgresql_with={"fastupdate": "off"}),
        Index("ix_prospects_created", "created_at", "id"),
        Index("ix_prospects_updated", "updated_at"),
        Index("ix_prospects_search_document", "search_document", postgresql_using="gin"),
        # What the search fields `title:`, `company:`, `location:`, `skill:` and `tag:` use (crm.search.repository).
        *(Index(f"ix_prospects_{c}_text", text(f"to_tsvector('english'::regconfig, COALESCE({c}, ''::text))"),
                postgresql_using="gin") for c in ("current_title", "current_company", "location")),
        *(Index(f"ix_prospects_{c}_lower", text(f"talent_lower_array({c})"), postgresql_using="gin") for c in ("skills", "tags")),
    )
    EXTRA_FIELDS = ("current_company", "current_title", "skills", "links", "owner")
    LIST_FIELDS = ("emails", "phones", "tags", "skills", "links")

    current_company: Mapped[str | None] = mapped_column(Text)
    current_title: Mapped[str | None] = mapped_column(Text)
    skills: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    links: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    owner: Mapped[str | None] = mapped_column(Text)
    # active; hired (the ATS hired them: no more nurture); excluded (never enroll again); merged (see merged_into_id)
    status: Mapped[str] = mapped_column(Text, default="active", server_default="active")
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("prospects.id"))
    # GDPR Art. 14 (data not collected from the person): when the privacy notice is due, and when it went out.
    art14_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    art14_sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    search_document: Mapped[Any] = mapped_column(TSVECTOR, Computed(DOCUMENT, persisted=True), deferred=True)

    def start(self, values: dict[str, Any], *, at: datetime, actor: str) -> None:
        """Fill a new prospect. One who did not sign up themselves owes an Art. 14 notice a month from collection
        (first contact brings it forward): set here, so the row's INSERT carries it (an UPDATE after the INSERT
        rewrote the row and every index entry of it)."""
        super().start(values, at=at, actor=actor)
        self.status = "active"
        self.art14_due_at = art14.due_at(self.created_at) if art14.sourced(self.source) else None

    @property
    def accepts_writes(self) -> bool:
        return self.status != "erased" and self.merged_into_id is None

    def ensure_writable(self) -> None:
        """The one guard of every write that names a prospect: an erased one is 410 Gone, a merged one is 409
        naming the survivor (`merged_into_id`, `Location`)."""
        if self.status == "erased":
            raise Gone(f"Prospect {self.id} was erased; it accepts no more changes.", prospect_status="erased")
        if self.merged_into_id is not None:
            raise Conflict(f"Prospect {self.id} was merged into {self.merged_into_id}; write to the survivor.",
                           prospect_status="merged", merged_into_id=str(self.merged_into_id),
                           headers={"Location": f"/v1/prospects/{self.merged_into_id}"})

    def ensure_pushable(self) -> None:
        """A push to an ATS job needs a live, not excluded prospect with an email address (409 otherwise)."""
        self.ensure_writable()
        if self.status == "excluded":
            raise Conflict("The prospect is excluded.")
        if not self.emails:
            raise Conflict("The prospect needs an email address before it can be pushed to the ATS.")

    def request_push(self, *, job_id: uuid.UUID, push_id: uuid.UUID, requested_by: str) -> None:
        """Ask for the prospect to be considered for an ATS job; a push is a change of the prospect: its event gets
        the next sequence."""
        self.ensure_pushable()
        self.version += 1
        self.record_event("crm.prospect.pushed_to_job.v1", data={
            "prospect_id": self.id, "job_id": job_id, "requested_by": requested_by, "prospect": self.snapshot(),
            "push_id": push_id}, changes={"pushed_to_job": {"before": None, "after": str(job_id)}})

    def merge_into(self, survivor: Prospect, actor: str) -> None:
        """This prospect is a duplicate of `survivor`: it keeps only `merged_into_id` and accepts no more writes."""
        for p in (self, survivor):
            p.ensure_writable()
        self.merged_into_id, self.status = survivor.id, "merged"
        self.version += 1
        self.updated_at, self.updated_by = datetime.now(UTC), actor
        self.record_event("crm.prospect.merged.v1", data={"survivor_id": survivor.id, "merged_id": self.id,
                                                          "prospect": survivor.snapshot()},
                          changes={"merged_into_id": {"before": None, "after": str(survivor.id)}})

    def erase(self, *, reason: str | None, actor: str) -> None:
        """Right to be forgotten: personal fields anonymised, the record kept for reporting; 409 when it already
        is. The event carries only hashes of the emails."""
        if self.status == "erased":
            raise Conflict("The prospect is already erased.")
        before = self.status
        hashes = anonymise(self, actor, self.EXTRA_FIELDS)
        self.status = "erased"
        self.record_event("crm.prospect.erased.v1", data=erased_payload(self.id, hashes, reason, "prospect_id"),
                          changes={"status": {"before": before, "after": "erased"}})

    def visited(self, *, url: str, at: datetime) -> None:
        """The prospect visited a tracked page."""
        self.ensure_writable()
        self.record_event("crm.prospect.page_visited.v1", data={"prospect_id": self.id, "url": url, "visited_at": at})

    def engaged(self, *, score: float, level: str, threshold: float, alert_id: uuid.UUID) -> None:
        """The engagement score crossed the alert threshold upwards."""
        self.record_event("crm.prospect.engaged.v1", data={
            "prospect_id": self.id, "score": score, "level": level, "threshold": threshold, "owner": self.owner,
            "alert_id": alert_id})

    def ats_status(self, *, kind: str, job_id: str | None, application_id: str | None) -> None:
        """The ATS saw the person apply, get hired, rejected or withdraw: recorded for the features that follow
        it (pools, enrollments, pushes)."""
        self.ensure_writable()
        self.record_event("crm.prospect.ats_status.internal", internal=True, data={
            "prospect_id": self.id, "kind": kind, "job_id": job_id, "application_id": application_id})

    def snapshot(self) -> dict[str, Any]:
        return {**super().snapshot(), "status": self.status}
