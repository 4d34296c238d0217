"""Candidates record their merge and erasure, notes their creation; and every event's audit action."""
import uuid
from datetime import UTC, datetime

import pytest
from ats.audit.service import action
from ats.candidates.models import Candidate
from ats.jobs.models import Job, StageKind
from ats.notes.models import Note, Visibility
from shared_schemas.erasure import email_hash
from talentkit.auth import Principal
from talentkit.errors import Conflict
from talentkit.uow import make_event

from .events import application, only, recorded


def candidate(*emails: str) -> Candidate:
    c = Candidate()
    c.start({"first_name": "Ada", "last_name": "Lovelace", "emails": list(emails), "tags": ["python"]},
            at=datetime.now(UTC), actor="t")
    c.id = uuid.uuid4()
    return c


def test_a_merge_records_merged_on_the_duplicate_and_the_survivors_side_internally():
    survivor, duplicate = candidate("a@example.com"), candidate("b@example.com", "a@example.com")
    gained = survivor.contact_points_of(duplicate)
    assert gained == {"emails": ["a@example.com", "b@example.com"]}
    duplicate.merge_into(survivor, "t")
    merged = only(duplicate)
    assert merged.type == "ats.candidate.merged.v1" and merged.aggregate_id == str(duplicate.id) and merged.sequence == 2
    assert merged.data["survivor_id"] == str(survivor.id) and merged.data["merged_id"] == str(duplicate.id)
    assert merged.changes == {"merged_into_id": {"before": None, "after": str(survivor.id)}}
    moved = [uuid.uuid4()]
    survivor.absorbed(duplicate, applications=moved, gained=gained)
    side = only(survivor)
    assert side.internal and side.type == "ats.candidate.merged.internal" and side.aggregate_id == str(survivor.id)
    assert side.changes["applications_moved"] == {"before": None, "after": [str(moved[0])]}
    with pytest.raises(Conflict):
        duplicate.merge_into(survivor, "t")


def test_erasing_records_erased_with_email_hashes_only():
    c = candidate("Ada@Example.com")
    c.erase("gdpr_request", "t")
    event = only(c)
    assert event.type == "ats.candidate.erased.v1" and event.data["email_hashes"] == [email_hash("Ada@Example.com")]
    assert "Ada" not in str(event.data) and c.first_name == "Erased"
    assert event.changes == {"erased": {"before": False, "after": True}, "reason": {"before": None, "after": "gdpr_request"}}
    with pytest.raises(Conflict):
        c.erase(None, "t")


def test_writing_a_note_records_an_internal_event_for_the_audit_trail():
    cid = uuid.uuid4()
    note = Note.write(cid, "Met at a meetup.", Visibility.PRIVATE, principal=Principal("admin", frozenset({"*"})),
                      author="rita@example.com", actor="admin")
    event = only(note)
    assert event.internal and event.type == "ats.note.created.internal" and note.author == "rita@example.com"
    assert event.changes["body"] == {"before": None, "after": "Met at a meetup."}


def test_audit_actions_are_event_types_without_service_and_version_and_keep_the_trails_finer_names():
    job = Job.create({"title": "x"}, "t")
    recorded(job)
    job.open("t")
    assert action(only(job)) == "job.opened"
    job.close("filled", "t")
    assert action(only(job)) == "job.closed"
    job.reopen("t")
    assert action(only(job)) == "job.reopened"
    job.add_stage("Take-home", StageKind.INTERVIEW, None, "t")
    assert action(only(job)) == "job.stage_added"
    job.update({"title": "y"}, "t")
    assert action(only(job)) == "job.updated"
    stages = job.stages
    app = application(stages)
    app.move(stages[0].id, stages[1], "t")
    assert action(only(app)) == "application.moved"
    duplicate, survivor = candidate("d@example.com"), candidate("s@example.com")
    duplicate.merge_into(survivor, "t")
    assert action(only(duplicate)) == "candidate.merged_into"
    internal = make_event("ats.offer.approval_pending.internal", aggregate_id=uuid.uuid4(), sequence=2, data={}, internal=True)
    assert action(internal) == "offer.approval_pending"
