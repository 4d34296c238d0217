"""Job and stage bodies."""
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
)

from ats.jobs.models import JobStatus, StageKind
from ats.resumes.skills import vocabulary

Line = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Jurisdiction = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")]
JURISDICTION = "Where the job is, for retention policies: ISO 3166 country or subdivision, e.g. `DE`, `US-CA`."


class EmploymentType(StrEnum):
    FULL_TIME = "full_time"
    PART_TIME = "part_time"
    CONTRACT = "contract"
    TEMPORARY = "temporary"
    INTERNSHIP = "internship"


def _canonical(skills: list[str]) -> list[str]:
    return list(dict.fromkeys(vocabulary().normalise(s) for s in skills))


Skills = Annotated[list[Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]],
                   Field(max_length=30), AfterValidator(_canonical)]


class JobRequirements(BaseModel):
    """What the job asks for; rank-and-grade scores applications against it. Skills are stored under their
    canonical names from the skills vocabulary (`k8s` becomes `Kubernetes`; unknown skills stay as written)."""

    model_config = ConfigDict(extra="forbid")
    must_have_skills: Skills = Field([], description="Skills every good application shows, e.g. `Python`.")
    nice_to_have_skills: Skills = Field([], description="Skills that add to the score.")
    min_years: float | None = Field(None, ge=0, le=50, description="Years of experience asked for.")
    location: Line | None = Field(None, description="Where the person must be (ignored when `remote`).")
    remote: bool = Field(False, description="Anywhere is fine: location plays no part.")


class StageRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    kind: StageKind
    position: int = Field(description="0-based order in the pipeline.")


class JobCreate(BaseModel):
    """A new job. It starts as a draft with the default pipeline: Applied, Screen, Interview, Final interview, Offer, Hired."""

    model_config = ConfigDict(extra="forbid")
    title: Line
    department: Line | None = None
    location: Line | None = Field(None, description="Office or `Remote`, e.g. `Berlin, Germany`.")
    employment_type: EmploymentType | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] | None = Field(None, description="Shown on the job board (plain text or HTML).")
    requirements: JobRequirements = Field(default_factory=JobRequirements, description="Skills, years and location asked for.")
    recruiter: Line | None = Field(None, description="The recruiter's user id or email.")
    hiring_manager: Line | None = None
    openings: int = Field(1, ge=1, le=1000, description="How many people to hire.")
    jurisdiction: Jurisdiction | None = Field(None, description=JURISDICTION)


class JobUpdate(BaseModel):
    """Fields of a job to change; absent fields stay. Status changes through /open, /close, /reopen."""

    model_config = ConfigDict(extra="forbid")
    title: Line | None = None
    department: Line | None = None
    location: Line | None = None
    employment_type: EmploymentType | None = None
    description: Annotated[str, StringConstraints(max_length=20000)] | None = None
    requirements: JobRequirements | None = Field(None, description="Replaces the whole set of requirements "
                                                                   "(null clears them).")
    recruiter: Line | None = None
    hiring_manager: Line | None = None
    openings: int | None = Field(None, ge=1, le=1000)
    jurisdiction: Jurisdiction | None = Field(None, description=JURISDICTION)

    @field_validator("requirements", mode="before")
    @classmethod
    def _cleared(cls, value: object) -> object:
        return {} if value is None else value


class JobRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    title: str
    department: str | None
    location: str | None
    employment_type: str | None
    description: str | None
    requirements: JobRequirements
    recruiter: str | None
    hiring_manager: str | None
    openings: int
    jurisdiction: str | None = None
    status: JobStatus
    close_reason: str | None
    opened_at: datetime | None
    closed_at: datetime | None
    stages: list[StageRead]
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: str
    updated_by: str


class JobClose(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)] = Field(
        description="Why the job closed, e.g. `filled`, `cancelled`, `on_hold`.")


class StageCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line
    kind: StageKind
    position: int | None = Field(None, ge=0, description="Where to insert (0-based); default: before the first `offer`/`hired` stage of a later kind, else last.")


class StageRename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Line


class StageOrder(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage_ids: list[uuid.UUID] = Field(description="Every stage id of the job, in the new order.")
