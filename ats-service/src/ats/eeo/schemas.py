"""EEO self-identification bodies and the EEO report."""
import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ats.eeo.models import DisabilityStatus, Gender, RaceEthnicity, VeteranStatus

VOLUNTARY = "Voluntary; leaving it out (or `decline_to_answer`) records that the candidate declined to answer."


class EeoAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    gender: Gender | None = Field(None, description=f"EEO-1 sex. {VOLUNTARY}")
    race_ethnicity: RaceEthnicity | None = Field(None, description=f"EEO-1 race/ethnicity. {VOLUNTARY}")
    veteran_status: VeteranStatus | None = Field(None, description=f"VEVRAA protected-veteran status. {VOLUNTARY}")
    disability_status: DisabilityStatus | None = Field(None, description=f"Section 503 disability status. {VOLUNTARY}")


class EeoResponseCreate(EeoAnswers):
    """A candidate's voluntary self-identification for one of their applications (one per application)."""

    application_id: uuid.UUID


class EeoResponseUpdate(EeoAnswers):
    """Answers to change; questions left out keep their answer."""


class EeoResponseRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    application_id: uuid.UUID
    gender: Gender
    race_ethnicity: RaceEthnicity
    veteran_status: VeteranStatus
    disability_status: DisabilityStatus
    version: int
    created_at: datetime
    updated_at: datetime


class EeoCount(BaseModel):
    category: str
    count: int | None = Field(description="Applicants of the category who reached the stage; null when suppressed.")
    suppressed: bool = Field(description="True when the count is 1 to 4 (or hidden so that a suppressed one cannot "
                                         "be worked out from the others). Zero is shown: an empty cell identifies nobody.")


class EeoImpact(BaseModel):
    category: str
    selection_rate: float | None = Field(description="reached(this stage) / applicants, for the category; null when "
                                                     "either count is under 5.")
    impact_ratio: float | None = Field(description="selection_rate / the highest selection_rate of the dimension "
                                                   "(categories other than `decline_to_answer`).")
    adverse_impact: bool | None = Field(description="True when impact_ratio < 0.8 (the four-fifths rule).")


class EeoStage(BaseModel):
    stage_id: uuid.UUID
    name: str
    kind: str
    counts: list[EeoCount]
    impact: list[EeoImpact]


class EeoDimension(BaseModel):
    dimension: str = Field(description="gender, race_ethnicity, veteran_status or disability_status.")
    stages: list[EeoStage]


class EeoReport(BaseModel):
    job_id: uuid.UUID
    applied_from: datetime | None
    applied_to: datetime | None
    applications: int = Field(description="Applications to the job in the period.")
    responses: int = Field(description="Of those, how many have a self-identification (only these are counted).")
    suppression_threshold: int = Field(description="Counts from 1 to under this are not shown.")
    dimensions: list[EeoDimension]
