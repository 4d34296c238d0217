"""Prospect bodies."""
from enum import StrEnum

from pydantic import Field

from talentkit.profiles.schemas import ProfileIn, ProfileOut, ProfilePatch


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


class ProspectUpdate(ProfilePatch):
    """Fields of a prospect to change."""

    source: ProspectSource | None = None


class ProspectRead(ProfileOut):
    """A prospect."""
