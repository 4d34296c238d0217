"""Interviews, scorecards and offers record their own events; steps integrators are not told about are internal
events (bus and audit trail only, never the outbox)."""
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from ats.interviews.models import Interview, InterviewStatus
from ats.offers.models import Offer
from ats.scorecards.models import Recommendation, Scorecard
from talentkit.errors import Conflict, Forbidden

from .events import application, interview, only, recorded


def test_scheduling_records_interview_scheduled_with_what_was_given():
    app = application()
    start = app.applied_at + timedelta(days=3)
    iv = Interview.schedule(application=app, stage=app.stage, starts_at=start, ends_at=start + timedelta(hours=1),
                            timezone="Europe/Berlin", interviewers=["x@example.com"], location="Room 4",
                            video_link=None, actor="t")
    event = only(iv)
    assert (event.type, event.sequence) == ("ats.interview.scheduled.v1", 1)
    assert event.data["interview"]["candidate_id"] == str(app.candidate_id)
    assert event.changes["interviewers"] == {"before": None, "after": ["x@example.com"]}
    assert event.changes["location"] == {"before": None, "after": "Room 4"}


def test_rescheduling_and_cancelling_record_their_events_with_the_previous_values():
    iv = interview(["x@example.com"])
    old_start, old_end = iv.starts_at, iv.ends_at
    iv.reschedule(old_start + timedelta(hours=2), old_end + timedelta(hours=2), "America/New_York", "t")
    moved = only(iv)
    assert moved.type == "ats.interview.rescheduled.v1" and moved.sequence == 2
    assert datetime.fromisoformat(moved.data["previous_starts_at"]) == old_start
    assert moved.changes["timezone"] == {"before": "UTC", "after": "America/New_York"}
    iv.cancel("interviewer ill", "t")
    cancelled = only(iv)
    assert cancelled.type == "ats.interview.cancelled.v1" and cancelled.data["reason"] == "interviewer ill"
    assert cancelled.changes["status"] == {"before": "scheduled", "after": "cancelled"}


def card(iv, who: str) -> Scorecard:
    return Scorecard.submit(iv, interviewer=who, ratings={"coding": "yes"}, overall_recommendation=Recommendation.YES,
                            notes="Solid.", actor="t")


def test_submitting_records_scorecard_submitted_without_ratings_or_notes():
    iv = interview(["x@example.com", "y@example.com"])
    sc = card(iv, "x@example.com")
    event = only(sc)
    assert event.type == "ats.scorecard.submitted.v1" and event.data["interviewer"] == "x@example.com"
    assert "ratings" not in event.data and "notes" not in event.data
    assert event.changes["notes"] == {"before": None, "after": "Solid."}  # the audit trail keeps them


def test_only_an_interviewer_of_the_interview_submits_and_only_its_interviewer_revises():
    iv = interview(["x@example.com"])
    with pytest.raises(Forbidden):
        card(iv, "stranger@example.com")
    sc = card(iv, "X@example.com".lower())
    recorded(sc)
    with pytest.raises(Forbidden):
        sc.revise({"notes": "mine now"}, by="y@example.com", actor="t")
    sc.revise({"notes": "Better."}, by="X@EXAMPLE.COM", actor="t")
    event = only(sc)
    assert event.internal and event.type == "ats.scorecard.updated.internal"
    assert event.changes == {"notes": {"before": "Solid.", "after": "Better."}}


def test_feedback_moves_the_interview_to_awaiting_then_complete_with_internal_events():
    iv = interview(["x@example.com", "y@example.com"])
    iv.feedback_received({"x@example.com"}, "t")
    assert only(iv).type == "ats.interview.awaiting_feedback.internal"
    iv.feedback_received({"x@example.com", "y@example.com"}, "t")
    done = only(iv)
    assert done.internal and done.type == "ats.interview.complete.internal" and iv.status == InterviewStatus.COMPLETE
    assert done.changes == {"status": {"before": "awaiting_feedback", "after": "complete"}}


# --------------------------------------------------------------------------------------------------------- offers
def draft(approvers: list[str], author: str = "author@example.com") -> Offer:
    offer = Offer.draft(application(), 1, {"start_date": date(2031, 5, 1), "salary": Decimal("85000.00"),
                                           "currency": "EUR", "approvers": approvers}, author=author, actor="t")
    return offer


def test_drafting_records_offer_created_and_edits_are_internal():
    offer = draft(["vp@example.com"])
    created = only(offer)
    assert created.type == "ats.offer.created.v1" and created.data["offer"]["offer_version"] == 1
    assert created.changes["approvers"] == {"before": None, "after": ["vp@example.com"]}
    offer.edit({"salary": Decimal("90000.00")}, "t")
    edited = only(offer)
    assert edited.internal and edited.type == "ats.offer.updated.internal"
    assert edited.changes == {"salary": {"before": "85000.00", "after": "90000.00"}}


def test_the_chain_approves_in_order_and_only_the_last_approval_is_a_public_event():
    offer = draft(["a@example.com", "b@example.com"])
    recorded(offer)
    offer.request_approval("t")
    assert only(offer).type == "ats.offer.approval_pending.internal"
    with pytest.raises(Conflict):
        offer.approve(by="b@example.com", principal="admin", actor="t")
    offer.approve(by="a@example.com", principal="admin", actor="t")
    step = only(offer)
    assert step.internal and step.type == "ats.offer.approval_given.internal"
    assert step.changes["status"] == {"before": "approval_pending", "after": "approval_pending"}
    offer.approve(by="b@example.com", principal="key:app", actor="t")
    approved = only(offer)
    assert not approved.internal and approved.type == "ats.offer.approved.v1" and approved.sequence == offer.version
    assert approved.changes["approved_by"] == {"before": None, "after": "b@example.com"}
    assert [(a["approver"], a["principal"]) for a in offer.approvals] == [("a@example.com", "admin"), ("b@example.com", "key:app")]


def test_the_author_never_approves_and_a_rejection_goes_back_to_draft_internally():
    offer = draft(["a@example.com"], author="author@example.com")
    offer.request_approval("t")
    recorded(offer)
    with pytest.raises(Forbidden):
        offer.approve(by="AUTHOR@example.com", principal="admin", actor="t")
    with pytest.raises(Forbidden):
        offer.approve(by="nobody@example.com", principal="admin", actor="t")
    assert recorded(offer) == []
    offer.reject(by="a@example.com", reason="over budget", principal="admin", actor="t")
    rejected = only(offer)
    assert rejected.type == "ats.offer.approval_rejected.internal" and offer.status == "draft"
    assert rejected.changes["reason"] == {"before": None, "after": "over budget"}


def test_sending_accepting_declining_and_rescinding_record_their_events():
    offer = draft(["a@example.com"])
    offer.request_approval("t")
    offer.approve(by="a@example.com", principal="admin", actor="t")
    recorded(offer)
    offer.send("t")
    assert only(offer).type == "ats.offer.sent.v1"
    offer.accept("t")
    accepted = only(offer)
    assert accepted.type == "ats.offer.accepted.v1" and accepted.data["offer"]["status"] == "accepted"
    other = draft(["a@example.com"])
    other.request_approval("t")
    other.approve(by="a@example.com", principal="admin", actor="t")
    other.send("t")
    recorded(other)
    other.decline("took another offer", "t")
    declined = only(other)
    assert declined.type == "ats.offer.declined.v1" and declined.data["reason"] == "took another offer"
    third = draft(["a@example.com"])
    recorded(third)
    third.rescind("budget freeze", "t")
    rescinded = only(third)
    assert rescinded.internal and rescinded.type == "ats.offer.rescinded.internal"
    assert rescinded.changes == {"status": {"before": "draft", "after": "rescinded"},
                                 "reason": {"before": None, "after": "budget freeze"}}
    assert uuid.UUID(rescinded.aggregate_id) == third.id
