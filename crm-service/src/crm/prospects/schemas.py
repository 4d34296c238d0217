"""Prospect bodies."""
import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
)
from talentkit.profiles.schemas import ProfileIn, ProfileOut, ProfilePatch, Tag, Text200

Skills = Annotated[list[Tag], Field(max_length=100, description="Skills, e.g. `python`, `kubernetes`."),
                   AfterValidator(lambda v: list(dict.fromkeys(v)))]
_HTTP_URL = TypeAdapter(AnyHttpUrl)
Url = Annotated[str, StringConstraints(max_length=500), AfterValidator(lambda v: str(_HTTP_URL.validate_python(v)))]
Links = Annotated[list[Url], Field(max_length=20, description="Profile links (LinkedIn, GitHub, portfolio)."),
                  AfterValidator(lambda v: list(dict.fromkeys(v)))]
Owner = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ProspectSource(StrEnum):
    """Where the CRM first met the person (its first touch)."""

    SOURCED = "sourced"
    REFERRAL = "referral"
    EVENT = "event"
    CAREER_SITE = "career_site"
    TALENT_COMMUNITY = "talent_community"
    ATS_IMPORT = "ats_import"


class ProspectCreate(ProfileIn):
    """A new prospect."""

    source: ProspectSource | None = Field(None, description="First touch: " + ", ".join(s.value for s in ProspectSource) + ".")
    current_company: Text200 | None = None
    current_title: Text200 | None = None
    skills: Skills = Field(default_factory=list)
    links: Links = Field(default_factory=list)
    owner: Owner | None = Field(None, description="The recruiter or sourcer who owns the relationship.")


class ProspectUpdate(ProfilePatch):
    """Fields of a prospect to change."""

    source: ProspectSource | None = None
    current_company: Text200 | None = None
    current_title: Text200 | None = None
    skills: Skills | None = None
    links: Links | None = None
    owner: Owner | None = None


class ProspectRead(ProfileOut):
    """A prospect. `status` is `active`, `hired` (hired through the ATS: no more nurture) or `excluded`."""

    current_company: str | None
    current_title: str | None
    skills: list[str]
    links: list[str]
    owner: str | None
    status: str
    merged_into_id: uuid.UUID | None = Field(None, description="Set when this prospect was merged into another.")


class StatusKind(StrEnum):
    APPLIED = "applied"
    HIRED = "hired"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class StatusEventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: StatusKind = Field(description="applied, hired, rejected or withdrawn (in the ATS).")
    job_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    application_id: Annotated[str, StringConstraints(max_length=100)] | None = None
    occurred_at: datetime | None = None
    detail: Annotated[str, StringConstraints(max_length=1000)] | None = None


class MergeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    duplicate_id: uuid.UUID = Field(description="The prospect to fold into this one.")


class EraseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Annotated[str, StringConstraints(max_length=500)] | None = Field(None, description="e.g. `gdpr_request`.")
