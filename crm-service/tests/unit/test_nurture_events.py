"""Enrollments, messages, pool memberships, consent and alerts record their events; pushes follow their rules."""
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from crm.alerts.models import Alert
from crm.consent.models import Consent
from crm.enrollments.models import Enrollment
from crm.pools.models import Pool, PoolMember, PoolStage
from crm.pushes.models import Push
from crm.sending.models import Message, MessageState
from talentkit.errors import Conflict

from .events import only, recorded

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


def enrollment() -> Enrollment:
    e = Enrollment.start(sequence_id=uuid.uuid4(), sequence_version=1, prospect_id=uuid.uuid4(), timezone="UTC",
                         variables={}, first_due=NOW, actor="t")
    return e


def message(channel: str = "email", state: str = MessageState.CLAIMED) -> Message:
    return Message(id=uuid.uuid4(), enrollment_id=uuid.uuid4(), prospect_id=uuid.uuid4(), sequence_id=uuid.uuid4(),
                   step_index=0, channel=channel, state=state, version=1, attempts=0, links=[])


def test_an_enrollment_records_started_then_exited_with_its_reason():
    e = enrollment()
    started = only(e)
    assert (started.type, started.topic, started.sequence) == ("crm.enrollment.started.v1", "crm.enrollments", 1)
    e.exit("unsubscribed", "t")
    exited = only(e)
    assert (exited.type, exited.sequence, exited.data["reason"]) == ("crm.enrollment.exited.v1", 2, "unsubscribed")
    assert exited.changes["status"] == {"before": "scheduled", "after": "exited"}
    with pytest.raises(Conflict):
        e.exit("again", "t")
    assert recorded(e) == []


def test_a_delivered_email_records_sent_and_a_task_records_nothing():
    msg = message()
    msg.delivered(NOW)
    sent = only(msg)
    assert (sent.type, sent.topic, sent.sequence, msg.state) == ("crm.message.sent.v1", "crm.messages", 2, "sent")
    task = message("task")
    task.delivered(NOW)
    assert recorded(task) == [] and task.state == "sent"


def test_a_bounce_open_click_and_reply_each_record_their_event_on_the_next_version():
    msg = message(state=MessageState.SENT)
    assert msg.bounce("550 user unknown", NOW) and not msg.bounce("again", NOW)
    msg.opened(NOW, 1)
    msg.clicked("https://jobs.example/1", NOW, 1)
    msg.replied(NOW, from_address="a@example.com", subject="Re")
    assert [(e.type, e.sequence) for e in recorded(msg)] == [
        ("crm.message.bounced.v1", 2), ("crm.message.opened.v1", 3), ("crm.message.clicked.v1", 4),
        ("crm.message.replied.v1", 5)]
    with pytest.raises(Conflict):
        message("sms", MessageState.SENT).bounce(None, NOW)


def test_failed_attempts_back_off_and_park_the_message_at_the_cap():
    msg = message()
    delays = []
    for _ in range(2):
        assert not msg.attempt_failed("SMTPRecipientsRefused: 451", NOW, max_attempts=3,
                                      retry_after=lambda n: timedelta(minutes=4 ** (n - 1)))
        delays.append(msg.next_attempt_at - NOW)
    assert delays == [timedelta(minutes=1), timedelta(minutes=4)] and msg.state == "claimed"
    assert msg.attempt_failed("SMTPRecipientsRefused: 451", NOW, max_attempts=3, retry_after=lambda n: timedelta(0))
    assert (msg.state, msg.attempts, msg.next_attempt_at, msg.error) == ("failed", 3, None, "SMTPRecipientsRefused: 451")


def test_joining_and_moving_in_a_pool_record_stage_changes_keyed_by_the_prospect():
    pool = Pool(id=uuid.uuid4(), name="Backend")
    first, second = (PoolStage(id=uuid.uuid4(), pool_id=pool.id, name=n, position=i) for i, n in enumerate(["new", "warm"]))
    member = PoolMember.join(pool, uuid.uuid4(), first, "t")
    joined = only(member)
    assert (joined.type, joined.aggregate_id, joined.topic) == ("crm.pool.member_stage_changed.v1", str(member.prospect_id), None)
    assert joined.data["from_stage"] is None and joined.data["to_stage"]["name"] == "new"
    member.move(pool, second, first.id)
    moved = only(member)
    assert (moved.sequence, moved.data["from_stage"]["name"], moved.data["to_stage"]["name"]) == (2, "new", "warm")
    with pytest.raises(Conflict):
        member.move(pool, first, expected_from=first.id)  # it is no longer there


def test_a_consent_records_one_change_per_statement_and_stopped_email_internally():
    c = Consent.nothing_recorded(uuid.uuid4(), "email", "t")
    changes = c.restate({"status": "granted", "lawful_basis": "consent"}, suppressions=([], []), actor="t")
    assert set(changes) == {"status", "lawful_basis"} and c.version == 1
    granted = only(c)
    assert (granted.type, granted.topic, granted.aggregate_id) == ("crm.consent.changed.v1", "crm.consents", str(c.prospect_id))
    assert c.restate({"status": "granted", "lawful_basis": "consent"}, suppressions=([], []), actor="t") == {}
    assert recorded(c) == []
    c.restate({"status": "granted", "lawful_basis": "consent"}, suppressions=([], ["unsubscribed"]), actor="t")
    assert only(c).data["suppressions"] == ["unsubscribed"] and c.version == 2
    c.stop_email("unsubscribed")
    stopped = only(c)
    assert stopped.internal and stopped.data == {"prospect_id": str(c.prospect_id), "reason": "unsubscribed"}


def test_an_alert_records_raised_with_its_recipient():
    alert = Alert.raise_for(kind="push_failed", recipient="alice", title="A push failed", data={"push_id": "p"})
    raised = only(alert)
    assert (raised.type, raised.topic, raised.data["recipient"], raised.data["kind"]) == (
        "crm.alert.raised.v1", "crm.alerts", "alice", "push_failed")
    alert.acknowledge()
    with pytest.raises(Conflict):
        alert.acknowledge()


def test_a_push_fails_or_succeeds_once_and_never_fails_after_success():
    push = Push.request(prospect_id=uuid.uuid4(), job_id=uuid.uuid4(), requested_by="admin", recipient="alice", now=NOW)
    assert push.fail(code="job_closed", reason="Closed", candidate_id=None, now=NOW)
    assert not push.fail(code="job_closed", reason="Closed", candidate_id=None, now=NOW)  # a retry
    assert push.succeed(application_id="a1", candidate_id="c1", now=NOW) and push.version == 3
    assert not push.succeed(application_id="a1", candidate_id=None, now=NOW)
    with pytest.raises(Conflict):
        push.fail(code="other", reason="late", candidate_id=None, now=NOW)
