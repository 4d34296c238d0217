"""The profile field catalogue and who owns each field (DESIGN.md §1), enforced field by field by the gateway."""
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, computed_field


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


class Carrier(StrEnum):
    """What carries a field to the other system."""

    PROFILE = "profile"  # the gateway's profile sync, under the field's mode (an admin may change the mode)
    FLOWS = "flows"  # the business flows (DESIGN.md §3), in the direction of its mode; the mode is fixed
    NOTHING = "nothing"  # it never leaves its system: mode `none`, fixed


# Modes that make sense for a kind: a set is never "latest wins" over its elements (union keeps them all), a scalar
# is never a union (it would become a list of characters).
MODES_FOR_KIND: dict[FieldKind, tuple[OwnershipMode, ...]] = {
    FieldKind.SCALAR: (OwnershipMode.TWO_WAY, OwnershipMode.PREFER_ATS_UNLESS_BLANK, OwnershipMode.PREFER_CRM_UNLESS_BLANK,
                       OwnershipMode.ATS, OwnershipMode.CRM, OwnershipMode.NONE),
    FieldKind.SET: (OwnershipMode.UNION, OwnershipMode.ATS, OwnershipMode.CRM, OwnershipMode.NONE),
}


class FieldSpec(BaseModel):
    """One profile field: its kind, default ownership mode, what carries it and why."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: FieldKind
    mode: OwnershipMode
    why: str
    synced_now: bool = True  # carried by the profile sync (`carried_by == "profile"`)
    carried_by: Carrier = Carrier.PROFILE
    # A flow's field an admin may switch off: its direction, or `none` (None: the modes follow from the carrier).
    modes: tuple[OwnershipMode, ...] | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def allowed_modes(self) -> list[OwnershipMode]:
        """The modes this field may be given: those fitting its kind, or only its own when its mode is fixed."""
        if self.modes is not None:
            return list(self.modes)
        if self.carried_by is not Carrier.PROFILE:
            return [self.mode]
        return list(MODES_FOR_KIND[self.kind])


def _f(name: str, kind: FieldKind, mode: OwnershipMode, why: str, carried_by: Carrier = Carrier.PROFILE,
       modes: tuple[OwnershipMode, ...] | None = None) -> FieldSpec:
    return FieldSpec(name=name, kind=kind, mode=mode, why=why, synced_now=carried_by is Carrier.PROFILE,
                     carried_by=carried_by, modes=modes)


S, SET = FieldKind.SCALAR, FieldKind.SET
M = OwnershipMode
FLOWS, NOTHING = Carrier.FLOWS, Carrier.NOTHING

CATALOGUE: tuple[FieldSpec, ...] = (
    _f("first_name", S, M.TWO_WAY, "both sides edit; latest wins"),
    _f("last_name", S, M.TWO_WAY, "both sides edit; latest wins"),
    _f("headline", S, M.TWO_WAY, "both sides edit; latest wins"),
    _f("location", S, M.TWO_WAY, "both sides edit; latest wins"),
    _f("emails", SET, M.UNION, "never lose a contact point"),
    _f("phones", SET, M.UNION, "never lose a contact point"),
    _f("tags", SET, M.UNION, "labels from both sides add up"),
    _f("source", S, M.PREFER_CRM_UNLESS_BLANK, "the CRM knows the first touch"),
    _f("links", SET, M.UNION, "never lose a contact point (resumes add theirs in the ATS)"),
    _f("application_status", S, M.ATS, "legal record; the applied, rejected and hired flows put it on the CRM "
       "timeline", FLOWS),
    _f("current_stage", S, M.NONE, "the pipeline stage is the ATS's working detail; the CRM hears of applications, "
       "rejections (with the stage reached) and hires through the flows", NOTHING),
    _f("hire", S, M.ATS, "legal record; the hired flow marks the prospect hired and ends its nurture", FLOWS),
    _f("offers", SET, M.NONE, "offer terms are confidential to the ATS; the CRM hears only of the hire", NOTHING),
    _f("talent_stage", S, M.NONE, "the CRM's marketing record; the ATS has no such field", NOTHING),
    _f("pools", SET, M.NONE, "the CRM's marketing record; the ATS has no such field", NOTHING),
    _f("engagement", S, M.NONE, "the CRM's marketing record; the ATS has no such field", NOTHING),
    _f("sequences", SET, M.NONE, "the CRM's marketing record; the ATS has no such field", NOTHING),
    _f("marketing_consent", S, M.NONE, "consent lives with nurturing; withdrawing it never touches the ATS's legal "
       "record", NOTHING),
    _f("channel_suppressions", SET, M.NONE, "consent lives with nurturing; the ATS sends no marketing", NOTHING),
    _f("resume_text", S, M.ATS, "the CRM's semantic search embeds the start of a linked candidate's latest resume, "
       "without name, contact points or protected traits (the resume flow, on ats.resume.parsed.v1); none keeps "
       "resume text in the ATS from then on", FLOWS, modes=(M.ATS, M.NONE)),
    _f("eeo_answers", S, M.NONE, "never leaves the ATS", NOTHING),
    _f("scorecards", SET, M.NONE, "never leaves the ATS", NOTHING),
    _f("interview_notes", SET, M.NONE, "never leaves the ATS", NOTHING),
)

DEFAULT_POLICY: dict[str, FieldSpec] = {spec.name: spec for spec in CATALOGUE}
SYNCED_PROFILE_FIELDS: tuple[str, ...] = tuple(s.name for s in CATALOGUE if s.synced_now)
# A person cannot be created on either side without these: a create always carries them, whatever their mode.
REQUIRED_ON_CREATE: tuple[str, ...] = ("first_name", "last_name")
