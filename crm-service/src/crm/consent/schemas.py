"""Consent bodies."""
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm.consent.models import Channel, ConsentPurpose, ConsentStatus, SuppressionReason

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ConsentPut(BaseModel):
    """The prospect's consent for one purpose on one channel, as it now stands."""

    model_config = ConfigDict(extra="forbid")
    purpose: ConsentPurpose = Field(ConsentPurpose.MARKETING, description=(
        "`talent_pool` (kept and considered for jobs), `marketing` (nurture sequences: what sequence mail needs) or "
        "`job_alerts`."))
    status: ConsentStatus
    lawful_basis: Short | None = Field(None, description="e.g. `consent`, `legitimate_interest`.")
    source: Short | None = Field(None, description="Where it was given, e.g. `career_site_form`.")
    text_version: Short | None = Field(None, description="Version of the consent text shown.")
    collected_at: datetime | None = Field(None, description="When it was given; default now for a grant.")
    expires_at: datetime | None = Field(None, description="Default for a grant by `consent`: collected_at plus the "
                                                          "jurisdiction's consent lifetime (`CRM_CONSENT_RENEWAL_MONTHS`, "
                                                          "`CRM_CONSENT_MONTHS_BY_JURISDICTION`). The CRM asks the "
                                                          "person to renew before it, and anonymises them when nothing "
                                                          "else lets it keep them.")
    jurisdiction: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z]{2}(-[A-Za-z0-9]{1,3})?$")] | None = Field(
        None, description="Where it was collected (ISO 3166, e.g. `DE`): picks the default lifetime.")
    suppressions: list[SuppressionReason] | None = Field(
        None, description="Replace the channel's suppressions (unsubscribed, bounced, manual); absent keeps them.")


class ChannelConsent(BaseModel):
    purpose: ConsentPurpose = ConsentPurpose.MARKETING
    channel: Channel
    status: ConsentStatus
    lawful_basis: str | None = None
    source: str | None = None
    text_version: str | None = None
    collected_at: datetime | None = None
    expires_at: datetime | None = None
    suppressions: list[SuppressionReason] = []
    version: int = 0
    updated_at: datetime | None = None


class ConsentRead(BaseModel):
    prospect_id: str
    channels: list[ChannelConsent] = Field(description="The `marketing` consent of every channel (what sequences need).")
    purposes: list[ChannelConsent] = Field([], description="Every consent recorded, by purpose and channel.")


class ConsentHistoryRead(BaseModel):
    """One statement a consent went through."""

    model_config = ConfigDict(from_attributes=True)
    purpose: ConsentPurpose
    channel: Channel
    version: int
    status: ConsentStatus
    lawful_basis: str | None
    source: str | None
    text_version: str | None
    collected_at: datetime | None
    expires_at: datetime | None
    suppressions: list[str]
    changed_at: datetime
    changed_by: str


class ConfirmationRequestIn(BaseModel):
    """Consent someone gave on an anonymous form (anyone can type anyone's address there), to be confirmed by the
    address's owner."""

    model_config = ConfigDict(extra="forbid")
    purpose: ConsentPurpose = Field(description=(
        "What the person ticked: `talent_pool` (keep their profile and consider them for other jobs), `marketing` "
        "(jobs and events mail) or `job_alerts`."))
    source: Short = Field(description="Where it was given, e.g. `talent_pool` for the careers form's box.")
    text_version: Short = Field(description="Version of the consent text the form showed; granted as is on confirmation.")


class ConfirmationRequestResult(BaseModel):
    """Where the consent stands after the request."""

    purpose: ConsentPurpose
    channel: Channel
    status: ConsentStatus = Field(description=(
        "The purpose's consent now: `requested` (waiting for the person to follow the link), or, untouched, "
        "`granted` / `withdrawn`."))
    queued: bool = Field(description="True when a confirmation mail was queued by this request.")
    reason: str | None = Field(None, description=(
        "Why no mail was queued: `granted` (already granted and unexpired), `withdrawn` (an anonymous form never "
        "overturns a withdrawal), `recently_requested` (a confirmation for this purpose went out less than 15 "
        "minutes ago and is still unconfirmed), `bounced` (the address bounces). Null when queued."))
    consent_request_id: uuid.UUID | None = Field(None, description="The queued confirmation, when one was queued.")
