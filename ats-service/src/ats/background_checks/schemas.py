"""Background check bodies."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from ats.background_checks.models import Adjudication, CheckStatus

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class Consent(BaseModel):
    """The candidate's written consent to the check (a legal requirement before ordering one)."""

    model_config = ConfigDict(extra="forbid")
    given: Literal[True] = Field(description="Must be `true`: no check without consent.")
    given_at: AwareDatetime = Field(description="When the candidate consented.")
    text_version: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="Which disclosure and consent text they agreed to.")


class CheckCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    package: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] = Field(
        description="The provider's package, e.g. `tasker_standard`, `driver_pro`.")
    consent: Consent


class Decision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason = Field(description="Why; the notices to the candidate quote it.")


class EngageDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: Reason | None = None


class CheckRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)
    id: uuid.UUID
    application_id: uuid.UUID
    candidate_id: uuid.UUID
    package: str
    status: CheckStatus = Field(description="requested, invited, pending, completed, suspended or cancelled.")
    result: str | None = Field(description="clear or consider, once completed.")
    adjudication: Adjudication | None = Field(description="The decision on a `consider`: engaged, pre_adverse_action, adverse_action.")
    adjudication_reason: str | None
    waiting_until: datetime | None = Field(description="After the pre-adverse notice: the adverse action is allowed from then.")
    pre_adverse_notice_at: datetime | None
    adverse_action_at: datetime | None
    consent_given_at: datetime
    consent_text_version: str
    provider_candidate_id: str | None
    provider_invitation_id: str | None
    provider_report_id: str | None
    invitation_url: str | None
    version: int
    created_at: datetime
    updated_at: datetime
