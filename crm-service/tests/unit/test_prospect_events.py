"""Prospects record their own lifecycle events, and refuse every change once erased (410) or merged (409)."""
import uuid
from datetime import UTC, datetime

import pytest
from crm.errors import Gone
from shared_schemas.erasure import email_hash
from talentkit.errors import Conflict

from .events import only, prospect, recorded


def test_a_push_to_a_job_bumps_the_version_and_records_pushed_to_job_with_the_push_id():
    p = prospect("ada@example.com")
    job, push = uuid.uuid4(), uuid.uuid4()
    p.request_push(job_id=job, push_id=push, requested_by="alice")
    e = only(p)
    assert (e.type, e.aggregate_id, e.sequence) == ("crm.prospect.pushed_to_job.v1", str(p.id), 2)
    assert e.data["push_id"] == str(push) and e.data["job_id"] == str(job) and e.data["requested_by"] == "alice"
    assert e.data["prospect"]["emails"] == ["ada@example.com"]


def test_a_prospect_without_an_email_or_excluded_cannot_be_pushed():
    with pytest.raises(Conflict):
        prospect().request_push(job_id=uuid.uuid4(), push_id=uuid.uuid4(), requested_by="a")
    excluded = prospect("x@example.com")
    excluded.status = "excluded"
    with pytest.raises(Conflict):
        excluded.request_push(job_id=uuid.uuid4(), push_id=uuid.uuid4(), requested_by="a")
    assert recorded(excluded) == []


def test_a_merge_records_merged_on_the_duplicate_with_the_survivor():
    survivor, duplicate = prospect("a@example.com"), prospect("b@example.com")
    duplicate.merge_into(survivor, "t")
    e = only(duplicate)
    assert (e.type, e.aggregate_id, e.sequence) == ("crm.prospect.merged.v1", str(duplicate.id), 2)
    assert e.data["survivor_id"] == str(survivor.id) and e.data["merged_id"] == str(duplicate.id)
    assert e.changes == {"merged_into_id": {"before": None, "after": str(survivor.id)}}
    assert (duplicate.status, duplicate.merged_into_id) == ("merged", survivor.id)


def test_erasure_anonymises_and_records_only_email_hashes():
    p = prospect("Ada@Example.com", current_company="Acme", skills=["python"])
    p.erase(reason="gdpr_request", actor="t")
    e = only(p)
    assert (e.type, e.sequence) == ("crm.prospect.erased.v1", 2)
    assert e.data == {"prospect_id": str(p.id), "email_hashes": [email_hash("ada@example.com")], "reason": "gdpr_request"}
    assert (p.first_name, p.emails, p.current_company, p.skills, p.status) == ("Erased", [], None, [], "erased")
    with pytest.raises(Conflict):
        p.erase(reason=None, actor="t")  # twice is a conflict, as the sync gateway expects


def test_an_erased_prospect_refuses_every_change_with_410_and_a_merged_one_names_its_survivor():
    erased = prospect("e@example.com")
    erased.erase(reason=None, actor="t")
    recorded(erased)
    for change in (lambda p: p.ensure_writable(), lambda p: p.visited(url="https://x.example", at=datetime.now(UTC)),
                   lambda p: p.ats_status(kind="applied", job_id=None, application_id=None),
                   lambda p: p.request_push(job_id=uuid.uuid4(), push_id=uuid.uuid4(), requested_by="a")):
        with pytest.raises(Gone):
            change(erased)
    survivor, merged = prospect("s@example.com"), prospect("m@example.com")
    merged.merge_into(survivor, "t")
    with pytest.raises(Conflict) as caught:
        merged.ensure_writable()
    assert caught.value.extra["merged_into_id"] == str(survivor.id)
    assert caught.value.headers["Location"] == f"/v1/prospects/{survivor.id}"
    with pytest.raises(Conflict):
        prospect("z@example.com").merge_into(merged, "t")  # nor can anything merge into it


def test_visits_engagement_and_ats_statuses_are_recorded_without_changing_the_version():
    p = prospect("v@example.com", owner="alice")
    at, alert = datetime.now(UTC), uuid.uuid4()
    p.visited(url="https://careers.example/1", at=at)
    p.engaged(score=12.5, level="hot", threshold=10.0, alert_id=alert)
    p.ats_status(kind="hired", job_id="j1", application_id="a1")
    visited, engaged, status = recorded(p)
    assert visited.type == "crm.prospect.page_visited.v1" and visited.data["url"] == "https://careers.example/1"
    assert engaged.type == "crm.prospect.engaged.v1" and engaged.data["owner"] == "alice" and engaged.data["alert_id"] == str(alert)
    assert status.internal and status.type == "crm.prospect.ats_status.internal" and status.data["kind"] == "hired"
    assert {visited.sequence, engaged.sequence, status.sequence} == {1}
