"""Retention bodies."""
import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from ats.jobs.schemas import Jurisdiction
from ats.retention.models import FEDERAL_CONTRACTOR_MINIMUM_DAYS, HireRule

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
FEDERAL = (f"A US federal contractor: `keep_days` must be at least {FEDERAL_CONTRACTOR_MINIMUM_DAYS} "
           "(two years, 41 CFR 60-1.12).")


class RetentionPolicyCreate(BaseModel):
    """How long the ATS keeps people who applied through jobs of one office or jurisdiction (or everyone else, when
    neither is given: the default policy)."""

    model_config = ConfigDict(extra="forbid")
    name: Name
    office: Name | None = Field(None, description="Applies to jobs whose `location` is this (case-insensitive).")
    jurisdiction: Jurisdiction | None = Field(None, description="Applies to jobs of this jurisdiction (`DE`; `US` "
                                                                 "also covers `US-CA` unless it has its own).")
    keep_days: int = Field(ge=1, le=36500, description="Days to keep a candidate after their last application closed "
                                                        "without a hire (rejected, withdrawn, or its job closed); "
                                                        "then they are anonymised.")
    federal_contractor: bool = Field(False, description=FEDERAL)
    hires: HireRule = Field(HireRule.KEEP, description="`minimal_record`: after the HRIS hand-off a hire keeps only "
                                                       "their name and employment record (contact points go).")
    hire_minimal_after_days: int = Field(0, ge=0, le=36500, description=("Days after the HRIS hand-off (the hire, when none is tracked) before that happens; a hand-off "
                                         "still pending or failed keeps the record whole, and a federal contractor keeps it two years "
                                         "after the hire at least."))


class RetentionPolicyUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Name | None = None
    keep_days: int | None = Field(None, ge=1, le=36500)
    federal_contractor: bool | None = Field(None, description=FEDERAL)
    hires: HireRule | None = None
    hire_minimal_after_days: int | None = Field(None, ge=0, le=36500)


class RetentionPolicyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    name: str
    office: str | None
    jurisdiction: str | None
    keep_days: int
    effective_keep_days: int = Field(description="`keep_days`, raised to two years for a federal contractor.")
    federal_contractor: bool
    hires: HireRule
    hire_minimal_after_days: int
    version: int
    created_at: datetime
    updated_at: datetime


class HeldBy(BaseModel):
    legal_hold_id: uuid.UUID
    reason: str


class RetentionDue(BaseModel):
    candidate_id: uuid.UUID
    action: str = Field(description="`anonymise` (personal data removed, reports unchanged) or `minimise` (a hire "
                                    "reduced to a minimal record).")
    due_at: datetime = Field(description="When it became (or becomes) due.")
    policy_id: uuid.UUID
    held_by: list[HeldBy] = Field(description="Legal holds that keep the candidate as they are (then nothing happens).")


class RetentionPreview(BaseModel):
    as_of: datetime
    data: list[RetentionDue]


class RetentionRunRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    trigger: str = Field(description="`schedule` or `manual`.")
    as_of: datetime
    status: str = Field(description="`running`, `finished` or `failed` (some candidates failed: see `errors`).")
    anonymised: int
    minimised: int
    held: int = Field(description="Due but kept by a legal hold.")
    errors: list[dict[str, Any]]
    started_at: datetime
    finished_at: datetime | None
