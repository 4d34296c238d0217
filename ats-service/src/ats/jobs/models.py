"""Jobs with their own ordered pipeline stages; the job's rules (open, close, reopen, stage edits) live here, and
each change records its event (`ats.job.*.v1`)."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import DateTime, ForeignKey, Integer, Text, UniqueConstraint, func
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship
from talentkit.errors import Conflict, NotFound, Unprocessable, field_error
from talentkit.uow import RecordsEvents

from ats.db import Base


class JobStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class StageKind(StrEnum):
    """Pipeline order: applied < screen < interview < offer < hired."""

    APPLIED = "applied"
    SCREEN = "screen"
    INTERVIEW = "interview"
    OFFER = "offer"
    HIRED = "hired"

    @property
    def rank(self) -> int:
        return list(StageKind).index(self)


DEFAULT_STAGES = (("Applied", StageKind.APPLIED), ("Screen", StageKind.SCREEN), ("Interview", StageKind.INTERVIEW),
                  ("Final interview", StageKind.INTERVIEW), ("Offer", StageKind.OFFER), ("Hired", StageKind.HIRED))


class JobStage(Base):
    __tablename__ = "job_stages"
    __table_args__ = (UniqueConstraint("job_id", "name", name="uq_job_stages_job_id_name"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(Text)
    kind: Mapped[StageKind] = mapped_column(Text)
    position: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())

    def ref(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "kind": self.kind, "position": self.position}


class Job(RecordsEvents, Base):
    __tablename__ = "jobs"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
    title: Mapped[str] = mapped_column(Text)
    department: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(Text)
    employment_type: Mapped[str | None] = mapped_column(Text)
    description: Mapped[str | None] = mapped_column(Text)
    # must_have_skills, nice_to_have_skills, min_years, location, remote (see shared_schemas JobRequirements)
    requirements: Mapped[dict[str, Any]] = mapped_column(JSONB, default=dict, server_default="{}")
    recruiter: Mapped[str | None] = mapped_column(Text)
    hiring_manager: Mapped[str | None] = mapped_column(Text)
    openings: Mapped[int] = mapped_column(Integer, default=1)
    jurisdiction: Mapped[str | None] = mapped_column(Text, comment="ISO 3166 country or subdivision (retention)")
    status: Mapped[JobStatus] = mapped_column(Text, default=JobStatus.DRAFT)
    close_reason: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now(), index=True)
    created_by: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(Text)
    stages: Mapped[list[JobStage]] = relationship(order_by=JobStage.position, lazy="selectin", cascade="all, delete-orphan")

    @classmethod
    def create(cls, values: dict[str, Any], actor: str) -> Job:
        """A draft job with the default pipeline."""
        job_id, now = uuid.uuid4(), datetime.now(UTC)
        job = cls(id=job_id, **{"openings": 1, **values}, status=JobStatus.DRAFT, version=1, created_at=now, updated_at=now,
                  created_by=actor, updated_by=actor,
                  stages=[JobStage(id=uuid.uuid4(), job_id=job_id, name=n, kind=k, position=i)
                          for i, (n, k) in enumerate(DEFAULT_STAGES)])
        job.record_event("ats.job.created.v1", data={"job": job.snapshot()},
                         changes={k: {"before": None, "after": v} for k, v in values.items()})
        return job

    def update(self, values: dict[str, Any], actor: str) -> dict[str, dict[str, Any]]:
        """Change job fields (not the status); returns `{field: {before, after}}`, empty when nothing changed."""
        changes = {k: {"before": getattr(self, k), "after": v} for k, v in values.items() if getattr(self, k) != v}
        for k, c in changes.items():
            setattr(self, k, c["after"])
        if changes:
            self._changed(actor, changes)
        return changes

    def open(self, actor: str) -> bool:
        """Open for applications; True if this is a reopen."""
        if self.status == JobStatus.OPEN:
            raise Conflict("The job is already open.")
        before, reopened = self.status, self.status == JobStatus.CLOSED
        self.status, self.close_reason, self.closed_at = JobStatus.OPEN, None, None
        self.opened_at = self.opened_at if reopened and self.opened_at else datetime.now(UTC)
        self.touch(actor)
        self.record_event("ats.job.opened.v1", data={"job": self.snapshot(), "reopened": reopened},
                          changes={"status": {"before": before, "after": self.status}})
        return reopened

    def reopen(self, actor: str) -> None:
        """Open a closed job again."""
        if self.status != JobStatus.CLOSED:
            raise Conflict(f"Only a closed job can be reopened; this one is {self.status}.")
        self.open(actor)

    def close(self, reason: str, actor: str) -> None:
        if self.status != JobStatus.OPEN:
            raise Conflict(f"Only an open job can be closed; this one is {self.status}.")
        self.status, self.close_reason, self.closed_at = JobStatus.CLOSED, reason, datetime.now(UTC)
        self.touch(actor)
        self.record_event("ats.job.closed.v1", data={"job": self.snapshot(), "reason": reason},
                          changes={"status": {"before": "open", "after": "closed"},
                                   "close_reason": {"before": None, "after": reason}})

    # --- the pipeline ------------------------------------------------------------------------------------------

    def add_stage(self, name: str, kind: StageKind, position: int | None, actor: str) -> None:
        """Insert a stage at `position` (default: before the first stage of a later kind, else last)."""
        self._unique_name(name)
        if position is None:
            later = [s.position for s in self.stages if StageKind(s.kind).rank > kind.rank]
            position = min(later) if later else len(self.stages)
        position = min(position, len(self.stages))
        for s in self.stages:
            if s.position >= position:
                s.position += 1
        self.stages.append(JobStage(id=uuid.uuid4(), job_id=self.id, name=name, kind=kind, position=position))
        self.renumber()
        self._changed(actor, {"stages": {"before": None, "after": {"name": name, "kind": kind, "position": position}}})

    def rename_stage(self, stage_id: uuid.UUID, name: str, actor: str) -> None:
        stage = self.existing_stage(stage_id)
        if stage.name != name:
            self._unique_name(name)
            before, stage.name = stage.name, name
            self._changed(actor, {f"stages.{stage.id}.name": {"before": before, "after": name}})

    def reorder_stages(self, stage_ids: list[uuid.UUID], actor: str) -> None:
        """Put every stage in the given order (applications start in the first, which cannot be `hired`)."""
        if sorted(map(str, stage_ids)) != sorted(str(s.id) for s in self.stages):
            raise Unprocessable("List every stage of the job exactly once.",
                                errors=[field_error("stage_ids", "must be a permutation of the job's stage ids")])
        if self.existing_stage(stage_ids[0]).kind == StageKind.HIRED:
            raise Unprocessable("The first stage cannot be of kind `hired`: applications start there.",
                                errors=[field_error("stage_ids", "first stage is of kind hired")])
        before = [str(s.id) for s in sorted(self.stages, key=lambda s: s.position)]
        if before != [str(i) for i in stage_ids]:
            for i, sid in enumerate(stage_ids):
                self.existing_stage(sid).position = i
            self.renumber()
            self._changed(actor, {"stages": {"before": before, "after": [str(i) for i in stage_ids]}})

    def remove_stage(self, stage_id: uuid.UUID, actor: str) -> None:
        """Remove a stage (the database refuses it while anything refers to it: see `jobs.service`)."""
        stage = self.existing_stage(stage_id)
        if len(self.stages) == 1:
            raise Conflict("A job needs at least one stage.")
        self.stages.remove(stage)
        self.renumber()
        self._changed(actor, {"stages": {"before": {"id": str(stage.id), "name": stage.name}, "after": None}})

    def stage(self, stage_id: uuid.UUID) -> JobStage | None:
        return next((s for s in self.stages if s.id == stage_id), None)

    def existing_stage(self, stage_id: uuid.UUID) -> JobStage:
        """The job's stage, or 404."""
        stage = self.stage(stage_id)
        if stage is None:
            raise NotFound(f"Job {self.id} has no stage {stage_id}.")
        return stage

    def first_stage(self) -> JobStage:
        return self.stages[0]

    def hired_stage(self) -> JobStage | None:
        return next((s for s in self.stages if s.kind == StageKind.HIRED), None)

    def renumber(self) -> None:
        """Positions 0..n-1 in pipeline order, and the list itself in that order."""
        self.stages.sort(key=lambda s: s.position)
        for i, s in enumerate(self.stages):
            s.position = i

    def touch(self, actor: str) -> None:
        self.version += 1
        self.updated_at = datetime.now(UTC)
        self.updated_by = actor

    def _unique_name(self, name: str) -> None:
        if any(s.name.lower() == name.lower() for s in self.stages):
            raise Conflict(f"The job already has a stage named {name!r}.")

    def _changed(self, actor: str, changes: dict[str, Any]) -> None:
        self.touch(actor)
        self.record_event("ats.job.updated.v1", data={"job_id": self.id, "changes": changes, "job": self.snapshot()},
                          changes=changes)

    def snapshot(self) -> dict[str, object]:
        return {"id": self.id, "title": self.title, "department": self.department, "location": self.location,
                "employment_type": self.employment_type, "recruiter": self.recruiter,
                "hiring_manager": self.hiring_manager, "openings": self.openings, "status": self.status,
                "close_reason": self.close_reason, "stages": [s.ref() for s in sorted(self.stages, key=lambda s: s.position)],
                "version": self.version, "opened_at": self.opened_at, "closed_at": self.closed_at,
                "description": self.description, "requirements": self.requirements or None}


def stage_change(changes: dict[str, Any]) -> str | None:
    """What a job update did to the pipeline, read from the `changes` the stage methods above record:
    `stage_added`, `stage_renamed`, `stages_reordered`, `stage_removed`; None for a change of job fields."""
    if any(k.startswith("stages.") for k in changes):
        return "stage_renamed"
    stages = changes.get("stages")
    if not isinstance(stages, dict):
        return None
    if stages.get("before") is None:
        return "stage_added"
    return "stage_removed" if stages.get("after") is None else "stages_reordered"
