"""The field catalogue matches DESIGN.md §1 (where the gateway can honour it) and covers every profile field the
events carry; every catalogued field is carried by something, or is `none` with the reason."""
import json
import typing

import pytest
from shared_schemas import generate
from shared_schemas.events.common import PersonProfile, PersonSnapshot
from shared_schemas.policy import (
    CATALOGUE,
    DEFAULT_POLICY,
    MODES_FOR_KIND,
    REQUIRED_ON_CREATE,
    SYNCED_PROFILE_FIELDS,
    Carrier,
    FieldKind,
    OwnershipMode,
)

M = OwnershipMode

# DESIGN.md §1, "Suggested defaults", except the fields that have no counterpart on the other side: the CRM's
# marketing record (talent stage, pools, engagement, sequences, consent, suppressions), the pipeline stage and
# offers are `none` (nothing carries them, so a mode saying otherwise would lie).
DESIGN_DEFAULTS = {
    "first_name": M.TWO_WAY,
    "last_name": M.TWO_WAY,
    "headline": M.TWO_WAY,
    "location": M.TWO_WAY,
    "emails": M.UNION,
    "phones": M.UNION,
    "links": M.UNION,  # both sides keep links now (the ATS reads them from resumes)
    "tags": M.UNION,
    "application_status": M.ATS,
    "current_stage": M.NONE,
    "hire": M.ATS,
    "offers": M.NONE,
    "talent_stage": M.NONE,
    "pools": M.NONE,
    "engagement": M.NONE,
    "sequences": M.NONE,
    "marketing_consent": M.NONE,
    "channel_suppressions": M.NONE,
    "eeo_answers": M.NONE,
    "scorecards": M.NONE,
    "interview_notes": M.NONE,
    "source": M.PREFER_CRM_UNLESS_BLANK,
}


@pytest.mark.parametrize(("name", "mode"), sorted(DESIGN_DEFAULTS.items()))
def test_catalogue_has_the_design_default(name: str, mode: OwnershipMode) -> None:
    assert name in DEFAULT_POLICY, f"{name} is missing from the catalogue"
    assert DEFAULT_POLICY[name].mode is mode


def test_field_names_are_unique() -> None:
    names = [spec.name for spec in CATALOGUE]
    assert len(names) == len(set(names))


def test_every_synced_profile_field_has_a_policy_entry() -> None:
    for name in PersonProfile.model_fields:
        assert name in DEFAULT_POLICY, f"PersonProfile.{name} travels in events but has no ownership policy"
        assert DEFAULT_POLICY[name].synced_now, f"PersonProfile.{name} travels in events but is not marked synced_now"


def test_fields_marked_synced_are_carried_by_the_profile() -> None:
    assert set(SYNCED_PROFILE_FIELDS) == set(PersonProfile.model_fields)


def test_snapshot_metadata_is_not_mistaken_for_profile_fields() -> None:
    metadata = set(PersonSnapshot.model_fields) - set(PersonProfile.model_fields)
    assert metadata and not metadata & set(DEFAULT_POLICY)


@pytest.mark.parametrize("name", sorted(PersonProfile.model_fields))
def test_kind_matches_the_profile_field_shape(name: str) -> None:
    annotation = PersonProfile.model_fields[name].annotation
    is_collection = typing.get_origin(annotation) in (list, set, frozenset, tuple)
    assert (DEFAULT_POLICY[name].kind is FieldKind.SET) == is_collection


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
def test_modes_are_valid(spec) -> None:
    assert spec.mode in set(OwnershipMode)
    assert spec.kind in set(FieldKind)
    assert spec.why.strip(), f"{spec.name} needs a reason"
    if spec.mode is M.UNION:
        assert spec.kind is FieldKind.SET, f"{spec.name}: union only makes sense for sets"


def test_never_synced_fields_are_not_synced_now() -> None:
    for spec in CATALOGUE:
        if spec.mode is M.NONE:
            assert not spec.synced_now, spec.name


def test_published_field_policy_matches_the_catalogue() -> None:
    published = json.loads(generate.FIELD_POLICY_PATH.read_text(encoding="utf-8"))
    assert published["modes"] == [mode.value for mode in OwnershipMode]
    assert [(f["name"], f["kind"], f["mode"], f["why"], f["synced_now"]) for f in published["fields"]] == [
        (s.name, s.kind.value, s.mode.value, s.why, s.synced_now) for s in CATALOGUE
    ]


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
def test_every_field_is_carried_by_something_or_is_none(spec) -> None:
    if spec.carried_by is Carrier.PROFILE:
        assert spec.name in PersonProfile.model_fields, f"{spec.name}: the profile sync only carries profile fields"
    elif spec.carried_by is Carrier.FLOWS:
        assert spec.mode in (M.ATS, M.CRM), f"{spec.name}: the flows carry a field one way, from its owner"
    else:
        assert spec.mode is M.NONE, f"{spec.name}: nothing carries it, so its mode must say `none`"
    assert spec.synced_now == (spec.carried_by is Carrier.PROFILE)


@pytest.mark.parametrize("spec", CATALOGUE, ids=lambda s: s.name)
def test_a_fields_modes_fit_its_kind_and_fixed_fields_allow_only_their_own(spec) -> None:
    assert spec.mode in spec.allowed_modes
    if spec.carried_by is Carrier.PROFILE:
        assert spec.modes is None and spec.allowed_modes == list(MODES_FOR_KIND[spec.kind])
    elif spec.modes is not None:  # a flow an admin may switch off: its own direction, or none
        assert spec.carried_by is Carrier.FLOWS and spec.allowed_modes == [spec.mode, M.NONE]
    else:
        assert spec.allowed_modes == [spec.mode]
    if spec.kind is FieldKind.SCALAR:
        assert M.UNION not in spec.allowed_modes
    else:
        assert not {M.TWO_WAY, M.PREFER_ATS_UNLESS_BLANK, M.PREFER_CRM_UNLESS_BLANK} & set(spec.allowed_modes)


def test_a_switched_off_flow_field_may_be_switched_back_on() -> None:
    off = DEFAULT_POLICY["resume_text"].model_copy(update={"mode": M.NONE})
    assert off.allowed_modes == [M.ATS, M.NONE]


def test_fields_required_on_create_are_synced_profile_scalars() -> None:
    for name in REQUIRED_ON_CREATE:
        assert DEFAULT_POLICY[name].synced_now and DEFAULT_POLICY[name].kind is FieldKind.SCALAR
        assert PersonProfile.model_fields[name].is_required()
