"""When retention acts on a candidate: the policy of each job they applied to, the longest keep wins, open
applications and kept hires stop it, a federal contractor keeps two years."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from ats.retention.models import HireRule, RetentionPolicy
from ats.retention.rules import ApplicationFacts, JobPlace, due, policy_for
from talentkit.errors import Unprocessable

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def policy(**values) -> RetentionPolicy:
    return RetentionPolicy.define({"name": "p", "keep_days": 180, **values}, "t")


def rejected(days: int, job: JobPlace) -> ApplicationFacts:
    return ApplicationFacts("rejected", T0 + timedelta(days=days), None, job)


BERLIN = JobPlace("Berlin", "DE", None)
AUSTIN = JobPlace("Austin", "US-TX", None)


def test_the_office_policy_comes_before_the_jurisdiction_and_a_subdivision_falls_back_to_its_country():
    office, germany, us, default = policy(office="berlin"), policy(jurisdiction="DE"), policy(jurisdiction="US"), policy()
    assert policy_for(BERLIN, [germany, office, default]) is office
    assert policy_for(JobPlace("Munich", "DE", None), [germany, office, default]) is germany
    assert policy_for(AUSTIN, [us, default]) is us
    assert policy_for(JobPlace(None, None, None), [us, default]) is default


def test_the_longest_keep_of_the_candidates_applications_decides():
    germany, us = policy(jurisdiction="DE", keep_days=180), policy(jurisdiction="US", keep_days=730, federal_contractor=True)
    d = due(uuid.uuid4(), T0, [rejected(0, BERLIN), rejected(10, AUSTIN)], False, [germany, us])
    assert d is not None and d.action == "anonymise" and d.due_at == T0 + timedelta(days=740)


def test_an_open_application_keeps_the_candidate():
    app = ApplicationFacts("active", None, None, BERLIN)
    assert due(uuid.uuid4(), T0, [rejected(0, BERLIN), app], False, [policy(jurisdiction="DE")]) is None


def test_an_application_on_a_closed_job_counts_as_closed_from_the_closing():
    app = ApplicationFacts("active", None, None, JobPlace("Berlin", "DE", T0 + timedelta(days=5)))
    d = due(uuid.uuid4(), T0, [app], False, [policy(jurisdiction="DE", keep_days=10)])
    assert d is not None and d.due_at == T0 + timedelta(days=15)


def test_a_hire_is_reduced_to_a_minimal_record_only_where_the_policy_says_so():
    hire = ApplicationFacts("hired", None, T0, BERLIN)
    assert due(uuid.uuid4(), T0, [hire], False, [policy(jurisdiction="DE")]) is None
    minimal = policy(jurisdiction="DE", hires=HireRule.MINIMAL_RECORD, hire_minimal_after_days=30)
    d = due(uuid.uuid4(), T0, [hire], False, [minimal])
    assert d is not None and d.action == "minimise" and d.due_at == T0 + timedelta(days=30)
    assert due(uuid.uuid4(), T0, [hire], True, [minimal]) is None


def test_a_federal_contractor_policy_under_two_years_is_refused():
    with pytest.raises(Unprocessable) as caught:
        policy(keep_days=365, federal_contractor=True)
    assert caught.value.errors[0]["field"] == "keep_days"


def test_a_hire_is_minimised_only_after_the_hris_has_it_and_a_federal_contractor_keeps_it_two_years():
    minimal = policy(jurisdiction="DE", hires=HireRule.MINIMAL_RECORD, hire_minimal_after_days=30)
    for status in ("pending", "failed"):  # the retry of the hand-off needs the employee's details
        waiting = ApplicationFacts("hired", None, T0, BERLIN, hris_status=status)
        assert due(uuid.uuid4(), T0, [waiting], False, [minimal]) is None
    sent = ApplicationFacts("hired", None, T0, BERLIN, hris_status="sent", hris_synced_at=T0 + timedelta(days=3))
    d = due(uuid.uuid4(), T0, [sent], False, [minimal])
    assert d is not None and d.action == "minimise" and d.due_at == T0 + timedelta(days=33)
    federal = policy(jurisdiction="US", keep_days=730, federal_contractor=True, hires=HireRule.MINIMAL_RECORD,
                     hire_minimal_after_days=30)
    hired_us = ApplicationFacts("hired", None, T0, AUSTIN, hris_status="sent", hris_synced_at=T0 + timedelta(days=3))
    d = due(uuid.uuid4(), T0, [hired_us], False, [federal])
    assert d is not None and d.due_at == T0 + timedelta(days=730)
