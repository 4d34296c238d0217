"""Alert and rediscovery bodies."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm.alerts.matching import Opening

Text200 = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class AlertRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    kind: str = Field(description="`job_matches` (talent for a newly opened job), `engagement_threshold`, "
                                  "`send_failed` (a sequence step could not be sent), `push_failed` (a push to an ATS job failed) or "
                                  "`compliance_mail_failing` (consent renewal and Art. 14 mail has failed 5 times "
                                  "in a row: the mail server needs a look; no recipient).")
    recipient: str | None = Field(description="The recruiter the alert is for.")
    title: str
    data: dict[str, Any]
    status: str = Field(description="`open` or `acknowledged`.")
    version: int
    created_at: datetime
    updated_at: datetime


Skill = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]


class JobRequirements(BaseModel):
    """What the job asks for (as the ATS's `ats.job.opened.v1` carries it)."""

    model_config = ConfigDict(extra="ignore")
    must_have_skills: list[Skill] = Field(default_factory=list, max_length=50)
    nice_to_have_skills: list[Skill] = Field(default_factory=list, max_length=50)
    min_years: float | None = None
    location: Text200 | None = None
    remote: bool = False


class JobOpening(BaseModel):
    """A job that just opened in the ATS (sent by the sync gateway)."""

    model_config = ConfigDict(extra="forbid")
    job_id: uuid.UUID
    title: Text200
    description: Annotated[str, StringConstraints(max_length=20000)] | None = Field(None, description="The job's description.")
    requirements: JobRequirements | None = Field(None, description="Skills and location asked for.")
    skills: list[Skill] = Field(default_factory=list, max_length=50, description="More skills to match on.")
    location: Text200 | None = None
    recruiter: Text200 | None = None

    def opening(self) -> Opening:
        """The job as rediscovery reads it."""
        req = self.requirements or JobRequirements()
        return Opening(title=self.title, description=self.description,
                       must_have=list(dict.fromkeys([*req.must_have_skills, *self.skills])),
                       nice_to_have=req.nice_to_have_skills, location=req.location or self.location, remote=req.remote)


class MatchRead(BaseModel):
    prospect_id: uuid.UUID
    name: str
    score: float
    reasons: list[str]
