"""The candidate: the shared profile (which records its created/updated events) plus the ATS's merge and erasure."""
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column
from talentkit.errors import Conflict, Gone
from talentkit.profiles.erasure import anonymise
from talentkit.profiles.models import ProfileMixin

from ats.db import Base

CONTACT_POINTS = ("emails", "phones", "tags", "links")


class Candidate(ProfileMixin, Base):
    """A person known to the ATS (applications come with the pipeline)."""

    __tablename__ = "candidates"
    __table_args__ = (
        Index("ix_candidates_emails", "emails", postgresql_using="gin", postgresql_with={"fastupdate": "off"}),
        Index("ix_candidates_created", "created_at", "id"),
        Index("ix_candidates_updated", "updated_at"),
        # What `location:` searches (talentkit.search.sql.text_field).
        Index("ix_candidates_location_text", text("to_tsvector('english'::regconfig, COALESCE(location, ''::text))"),
              postgresql_using="gin"),
    )

    EXTRA_FIELDS = ("links",)
    LIST_FIELDS = ("emails", "phones", "tags", "links")

    links: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list, server_default="{}")
    merged_into_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("candidates.id"))
    erased_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    minimised_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                         comment="reduced to a minimal record after the hire (retention)")

    def ensure_writable(self) -> None:
        """The guard of every change to a candidate's profile: an erased one is 410 Gone, a merged one is 409
        naming the survivor (`merged_into_id`, `Location`), as the CRM answers for its prospects."""
        if self.erased_at is not None:
            raise Gone(f"Candidate {self.id} was erased; it accepts no more changes.", candidate_status="erased")
        if self.merged_into_id is not None:
            raise Conflict(f"Candidate {self.id} was merged into {self.merged_into_id}; write to the survivor.",
                           candidate_status="merged", merged_into_id=str(self.merged_into_id),
                           headers={"Location": f"/v1/candidates/{self.merged_into_id}"})

    def not_merged(self) -> None:
        """Raise (409) if this record was merged into another."""
        if self.merged_into_id:
            raise Conflict(f"Candidate {self.id} was already merged into {self.merged_into_id}.",
                           merged_into_id=str(self.merged_into_id))

    def contact_points_of(self, duplicate: "Candidate") -> dict[str, list[Any]]:
        """Emails, phones and tags this candidate would gain from `duplicate` (kept in order, without repeats)."""
        union = {f: list(dict.fromkeys([*getattr(self, f), *getattr(duplicate, f)])) for f in CONTACT_POINTS}
        return {f: v for f, v in union.items() if v != getattr(self, f)}

    def merge_into(self, survivor: "Candidate", actor: str) -> None:
        """This duplicate is folded into `survivor`: it keeps only `merged_into_id`."""
        self.not_merged()
        self.merged_into_id = survivor.id
        self.version += 1
        self.updated_at, self.updated_by = datetime.now(UTC), actor
        self.record_event("ats.candidate.merged.v1", data={"survivor_id": survivor.id, "merged_id": self.id,
                                                           "candidate": survivor.snapshot()},
                          changes={"merged_into_id": {"before": None, "after": survivor.id}})

    def absorbed(self, duplicate: "Candidate", *, applications: list[uuid.UUID], gained: dict[str, list[Any]]) -> None:
        """The survivor's side of a merge, for its audit trail (its profile change recorded its own event)."""
        self.record_event("ats.candidate.merged.internal", internal=True,
                          data={"survivor_id": self.id, "merged_id": duplicate.id}, changes={
                              "merged_id": {"before": None, "after": duplicate.id},
                              "applications_moved": {"before": None, "after": applications},
                              **{f: {"before": getattr(duplicate, f), "after": v} for f, v in gained.items()}})

    def minimise(self, actor: str, at: datetime) -> None:
        """A hire after the HRIS hand-off: only the name and the employment record stay (retention)."""
        changes = self.change({"emails": [], "phones": [], "location": None, "headline": None, "tags": []}, at=at, actor=actor)
        self.minimised_at = at
        if changes:
            self.record_event("ats.candidate.updated.v1", time=at, changes=changes, data={
                "candidate_id": self.id, "changes": changes, "candidate": self.snapshot()})

    def erase(self, reason: str | None, actor: str) -> None:
        """Right to be forgotten: anonymise the personal data; the record (ids, dates, version) stays."""
        if self.erased_at:
            raise Conflict("The candidate is already erased.")
        hashes = anonymise(self, actor, self.EXTRA_FIELDS)
        self.erased_at = datetime.now(UTC)
        self.record_event("ats.candidate.erased.v1", data={"candidate_id": self.id, "email_hashes": hashes,
                                                           "reason": reason},
                          changes={"erased": {"before": False, "after": True}, "reason": {"before": None, "after": reason}})
