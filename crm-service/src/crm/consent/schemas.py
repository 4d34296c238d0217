"""Consent bodies."""
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from crm.consent.models import Channel, ConsentStatus, SuppressionReason

Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class ConsentPut(BaseModel):
    """The prospect's consent for one channel, as it now stands."""

    model_config = ConfigDict(extra="forbid")
    status: ConsentStatus
    lawful_basis: Short | None = Field(None, description="e.g. `consent`, `legitimate_interest`.")
    source: Short | None = Field(None, description="Where it was given, e.g. `career_site_form`.")
    text_version: Short | None = Field(None, description="Version of the consent text shown.")
    expires_at: datetime | None = None
    suppressions: list[SuppressionReason] | None = Field(
        None, description="Replace the channel's suppressions (unsubscribed, bounced, manual); absent keeps them.")


class ChannelConsent(BaseModel):
    channel: Channel
    status: ConsentStatus
    lawful_basis: str | None = None
    source: str | None = None
    text_version: str | None = None
    expires_at: datetime | None = None
    suppressions: list[SuppressionReason] = []
    version: int = 0
    updated_at: datetime | None = None


class ConsentRead(BaseModel):
    prospect_id: str
    channels: list[ChannelConsent]
