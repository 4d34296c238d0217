"""What a creation on the other side starts with, and which events reach which business flow (no database)."""
from datetime import UTC, datetime

from shared_schemas.policy import OwnershipMode as Mode
from sync_gateway.flows import FLOW_MODULES
from sync_gateway.policy.store import apply_overrides
from sync_gateway.profiles.records import creation_body

AT = datetime(2026, 1, 1, tzinfo=UTC)
PERSON = {"first_name": "Ada", "last_name": "Lovelace", "emails": ["ada@x.io"], "phones": [], "headline": "Countess",
          "location": "London", "tags": ["math"], "source": "referral"}


def test_a_creation_always_carries_the_names_whatever_their_mode():
    policy = apply_overrides({"first_name": Mode.NONE, "last_name": Mode.CRM})
    body = creation_body(policy, "ats", PERSON, AT)
    assert (body["first_name"], body["last_name"]) == ("Ada", "Lovelace")


def test_a_creation_carries_other_fields_only_in_the_direction_their_mode_allows():
    policy = apply_overrides({"headline": Mode.NONE, "location": Mode.ATS, "tags": Mode.CRM})
    from_crm = creation_body(policy, "crm", PERSON, AT)
    assert "headline" not in from_crm and "location" not in from_crm and from_crm["tags"] == ["math"]
    from_ats = creation_body(policy, "ats", PERSON, AT)
    assert from_ats["location"] == "London" and "tags" not in from_ats and "headline" not in from_ats
    assert from_ats["emails"] == ["ada@x.io"] and "phones" not in from_ats  # empty lists are left out


def test_every_flow_event_reaches_exactly_one_flow():
    events = [t for module in FLOW_MODULES for t in module.EVENTS]
    assert len(events) == len(set(events))
    assert {"crm.prospect.pushed_to_job.v1", "ats.application.created.v1", "ats.application.hired.v1",
            "ats.application.rejected.v1", "ats.job.opened.v1", "ats.candidate.merged.v1", "crm.prospect.merged.v1",
            "ats.candidate.erased.v1", "crm.prospect.erased.v1", "ats.resume.parsed.v1"} == set(events)
