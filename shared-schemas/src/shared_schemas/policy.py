"""The profile field catalogue and who owns each field (DESIGN.md §1), enforced field by field by the gateway."""
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class OwnershipMode(StrEnum):
    """How a field moves between the ATS and the CRM."""

    ATS = "ats"  # ATS always wins; CRM edits are not pushed back
    CRM = "crm"  # CRM always wins; ATS edits are not pushed back
    PREFER_ATS_UNLESS_BLANK = "prefer_ats_unless_blank"
    PREFER_CRM_UNLESS_BLANK = "prefer_crm_unless_blank"
    TWO_WAY = "two_way"  # latest change wins, by source time
    UNION = "union"  # sets: never lose an element
    NONE = "none"  # never synced


class FieldKind(StrEnum):
    SCALAR = "scalar"
    SET = "set"


class FieldSpec(BaseModel):
    """One profile field: its kind, default ownership mode and why."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: FieldKind
    mode: OwnershipMode
    why: str
    synced_now: bool = True  # False: catalogued, carried by a later feature's events


def _f(name: str, kind: FieldKind, mode: OwnershipMode, why: str, synced_now: bool = True) -> FieldSpec:
    return FieldSpec(name=name, kind=kind, mode=mode, why=why, synced_now=synced_now)


S, SET = FieldKind.SCALAR, FieldKind.SET
M = OwnershipMode

CATALOGUE: tuple[FieldSpec, ...] = (
    _f("first_name", S, M.TWO_WAY, "both sides edit; latest wins"),
    _f("last_name", S, M.TWO_WAY, "both sides edit; latest wins"),
    _f("headline", S, M.TWO_WAY, "both sides edit; latest wins"),
    _f("location", S, M.TWO_WAY, "both sides edit; latest wins"),
    _f("emails", SET, M.UNION, "never lose a contact point"),
    _f("phones", SET, M.UNION, "never lose a contact point"),
    _f("tags", SET, M.UNION, "labels from both sides add up"),
    _f("source", S, M.PREFER_CRM_UNLESS_BLANK, "the CRM knows the first touch"),
    _f("links", SET, M.UNION, "never lose a contact point"),
    _f("application_status", S, M.ATS, "legal record", synced_now=False),
    _f("current_stage", S, M.ATS, "legal record", synced_now=False),
    _f("hire", S, M.ATS, "legal record", synced_now=False),
    _f("offers", SET, M.ATS, "legal record", synced_now=False),
    _f("talent_stage", S, M.CRM, "marketing record", synced_now=False),
    _f("pools", SET, M.CRM, "marketing record", synced_now=False),
    _f("engagement", S, M.CRM, "marketing record", synced_now=False),
    _f("sequences", SET, M.CRM, "marketing record", synced_now=False),
    _f("marketing_consent", S, M.CRM, "consent lives with nurturing", synced_now=False),
    _f("channel_suppressions", SET, M.CRM, "consent lives with nurturing", synced_now=False),
    _f("eeo_answers", S, M.NONE, "never leaves the ATS", synced_now=False),
    _f("scorecards", SET, M.NONE, "never leaves the ATS", synced_now=False),
    _f("interview_notes", SET, M.NONE, "never leaves the ATS", synced_now=False),
)

DEFAULT_POLICY: dict[str, FieldSpec] = {spec.name: spec for spec in CATALOGUE}
SYNCED_PROFILE_FIELDS: tuple[str, ...] = tuple(s.name for s in CATALOGUE if s.synced_now)
