"""Webhook rules without servers: signing (checked with the `standardwebhooks` library), filters, Retry-After, the
retry schedule, what an attempt's outcome does to the delivery and the endpoint, and the rows the fan-out queues."""
import base64
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from shared_schemas.envelope import EventEnvelope
from standardwebhooks import Webhook, WebhookVerificationError
from sync_gateway.config import Settings
from sync_gateway.webhooks import filters, signing
from sync_gateway.webhooks.config import DEFAULT_RETRY_SCHEDULE, WebhookSettings
from sync_gateway.webhooks.delivery import (
    Outcome,
    next_delay,
    parse_retry_after,
    render_body,
)
from sync_gateway.webhooks.fanout import deliveries_for, person_ids
from sync_gateway.webhooks.models import WebhookDelivery, WebhookEndpoint
from sync_gateway.webhooks.workers import webhook_workers

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_secret_format_and_signature_verify_with_the_library() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) >= 24
    body = render_body("ats.candidate.created.v1", datetime.now(UTC), {"x": 1})
    ts = int(datetime.now(UTC).timestamp())
    headers = signing.headers([secret], "evt-1", ts, body)
    assert headers["webhook-signature"].startswith("v1,")
    assert Webhook(secret).verify(body, headers)["data"] == {"x": 1}
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(body, headers)


def test_two_secrets_give_two_signatures_and_both_verify() -> None:
    old, new = signing.new_secret(), signing.new_secret()
    body = render_body("crm.prospect.created.v1", datetime.now(UTC), {})
    headers = signing.headers([new, old], "evt-2", int(datetime.now(UTC).timestamp()), body)
    assert len(headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(body, headers)
    Webhook(new).verify(body, headers)


def test_filters_match_exact_types_prefixes_and_everything() -> None:
    assert filters.matches(["ats.application.*"], "ats.application.stage_changed.v1")
    assert not filters.matches(["ats.application.*"], "ats.applications_x.v1")
    assert not filters.matches(["ats.application.*"], "ats.candidate.created.v1")
    assert filters.matches(["crm.prospect.created.v1"], "crm.prospect.created.v1")
    assert filters.matches(["*"], "anything.v1")
    assert all(filters.valid(p) for p in ("*", "ats.*", "ats.candidate.created.v1"))
    assert not any(filters.valid(p) for p in ("", "ats.*.created", "ATS.x", "ats..x", "http://x"))


def test_retries_follow_a_three_day_schedule_and_never_come_sooner_than_retry_after() -> None:
    assert parse_retry_after("120", NOW) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", NOW) == 60
    assert parse_retry_after("soon", NOW) is None
    s = WebhookSettings(jitter=0.1)
    assert s.retry_schedule == DEFAULT_RETRY_SCHEDULE and 2.5 * 86400 < sum(DEFAULT_RETRY_SCHEDULE) < 3.5 * 86400
    for step, base in enumerate(DEFAULT_RETRY_SCHEDULE):
        assert base * 0.9 <= next_delay(s, step, None) <= base * 1.1  # type: ignore[operator]
    assert next_delay(s, 0, 600) == 600  # Retry-After later than the schedule wins
    assert next_delay(s, 0, 10**9) == s.max_retry_after_seconds
    assert next_delay(s, len(DEFAULT_RETRY_SCHEDULE), None) is None


def _pair() -> tuple[WebhookDelivery, WebhookEndpoint]:
    e = WebhookEndpoint.subscribe(url="https://x.example/", event_types=["*"], description=None, actor="t")
    e.id = uuid.uuid4()
    d = WebhookDelivery(id=uuid.uuid4(), endpoint_id=e.id, event_id="e", event_type="t", body="{}", status="pending",
                        attempt_count=0, retry_step=0)
    return d, e


def test_a_failed_attempt_schedules_the_next_and_a_success_ends_the_failure_streak() -> None:
    s = WebhookSettings(jitter=0)
    d, e = _pair()
    a = d.record_attempt(e, Outcome(ok=False, response_status=503), s, NOW)
    assert (a.number, a.status, d.status, d.next_attempt_at) == (1, "failed", "pending", NOW + timedelta(seconds=5))
    assert e.failing_since == NOW and e.enabled
    d.record_attempt(e, Outcome(ok=True, response_status=200), s, NOW)
    assert d.status == "succeeded" and e.failing_since is None


def test_410_gone_fails_the_delivery_and_disables_the_endpoint() -> None:
    d, e = _pair()
    d.record_attempt(e, Outcome(ok=False, response_status=410), WebhookSettings(jitter=0), NOW)
    assert d.status == "failed" and not e.enabled and "410" in (e.disabled_reason or "") and e.version == 2


def test_three_days_of_failures_disable_and_flag_the_endpoint_and_its_delivery_waits() -> None:
    d, e = _pair()
    e.failing_since = NOW - timedelta(days=3)
    a = d.record_attempt(e, Outcome(ok=False, error="ConnectError"), WebhookSettings(jitter=0), NOW)
    assert not e.enabled and "failed since" in (e.disabled_reason or "") and e.disabled_at == NOW
    assert d.status == "pending" and d.next_attempt_at is None and a.next_attempt_at is None


def test_a_delivery_fails_for_good_after_the_last_step_of_the_schedule() -> None:
    s = WebhookSettings(jitter=0)
    d, e = _pair()
    d.retry_step = len(s.retry_schedule)
    d.record_attempt(e, Outcome(ok=False, response_status=500), s, NOW)
    assert d.status == "failed" and d.next_attempt_at is None


def test_every_delivery_ends_succeeded_or_failed_within_the_schedule() -> None:
    s = WebhookSettings(jitter=0, disable_after_failing_seconds=10**9)
    d, e = _pair()
    at = NOW
    while d.status == "pending":
        d.record_attempt(e, Outcome(ok=False, error="refused"), s, at)
        at = d.next_attempt_at or at
    assert d.status == "failed" and d.attempt_count == len(s.retry_schedule) + 1
    assert at - NOW == timedelta(seconds=sum(s.retry_schedule))


def test_a_ping_records_its_attempt_without_retry_and_without_touching_the_endpoint() -> None:
    d, e = _pair()
    d.record_attempt(e, Outcome(ok=False, response_status=410), WebhookSettings(), NOW, retry=False)
    assert d.status == "failed" and e.enabled and e.failing_since is None


def test_replay_makes_a_finished_delivery_due_now_on_a_fresh_schedule() -> None:
    d, _ = _pair()
    d.status, d.retry_step = "failed", 9
    d.replay(NOW)
    assert (d.status, d.retry_step, d.next_attempt_at) == ("pending", 0, NOW)


def test_endpoint_disable_enable_and_rotation_bump_the_version_and_say_who() -> None:
    _, e = _pair()
    assert e.disable("by hand", NOW, actor="ops") and not e.disable("again", NOW, actor="ops")
    assert (e.enabled, e.disabled_reason, e.version, e.updated_by) == (False, "by hand", 2, "ops")
    assert e.enable("ops") and not e.enable("ops")
    assert (e.enabled, e.disabled_reason, e.version) == (True, None, 3)
    old = e.secret
    e.rotate_secret(timedelta(hours=1), NOW, "ops")
    assert e.secret != old and e.signing_secrets(NOW) == [e.secret, old] and e.signing_secrets(NOW + timedelta(hours=2)) == [e.secret]
    e.change({"description": "same"}, "ops")
    e.change({"description": "same"}, "ops")
    assert e.version == 5


def test_fan_out_queues_one_delivery_per_matching_enabled_endpoint_for_events_after_its_creation() -> None:
    ats = SimpleNamespace(id=uuid.uuid4(), event_types=["ats.candidate.*"], created_at=NOW)
    crm = SimpleNamespace(id=uuid.uuid4(), event_types=["crm.*"], created_at=NOW)
    late = SimpleNamespace(id=uuid.uuid4(), event_types=["*"], created_at=NOW + timedelta(hours=1))
    cid = str(uuid.uuid4())
    event = EventEnvelope(source="/ats", type="ats.candidate.updated.v1", subject=cid, sequence=2,
                          time=NOW + timedelta(minutes=1), data={"candidate_id": cid, "candidate": {"id": cid}})
    rows = deliveries_for([(event, NOW + timedelta(minutes=1))], [ats, crm, late], NOW)
    assert [r["endpoint_id"] for r in rows] == [ats.id]
    (row,) = rows
    assert row["event_id"] == event.id and row["status"] == "pending" and row["next_attempt_at"] == NOW
    assert row["body"] == render_body(event.type, event.time, event.data) and row["person_ids"] == [cid]


def test_an_endpoint_gets_what_was_published_after_its_creation_whatever_time_the_event_claims() -> None:
    endpoint = SimpleNamespace(id=uuid.uuid4(), event_types=["*"], created_at=NOW)
    cid = str(uuid.uuid4())
    future = EventEnvelope(source="/ats", type="ats.candidate.updated.v1", subject=cid, sequence=2,
                           time=NOW + timedelta(days=365), data={"candidate_id": cid})  # a sync client's source_time
    past = EventEnvelope(source="/ats", type="ats.candidate.updated.v1", subject=cid, sequence=3,
                         time=NOW - timedelta(days=365), data={"candidate_id": cid})
    rows = deliveries_for([(future, NOW - timedelta(minutes=1)), (past, NOW + timedelta(minutes=1))], [endpoint], NOW)
    assert [r["event_id"] for r in rows] == [past.id]


def test_deliveries_name_the_people_their_event_carries() -> None:
    survivor, merged, job = str(uuid.uuid4()), str(uuid.uuid4()), str(uuid.uuid4())
    merge = EventEnvelope(source="/crm", type="crm.prospect.merged.v1", subject=survivor, sequence=3,
                          data={"survivor_id": survivor, "merged_id": merged})
    assert person_ids(merge) == sorted({survivor, merged})
    application = EventEnvelope(source="/ats", type="ats.application.created.v1", subject=str(uuid.uuid4()), sequence=1,
                                data={"candidate_id": merged, "job_id": job})
    assert person_ids(application) == [merged]
    opened = EventEnvelope(source="/ats", type="ats.job.opened.v1", subject=job, sequence=1, data={"job": {"id": job}})
    assert person_ids(opened) == []


def test_webhooks_can_be_turned_off_in_the_sync_process() -> None:
    settings = Settings(database_url="postgresql+asyncpg://x@127.0.0.1:1/x")
    assert webhook_workers(settings, WebhookSettings(enabled=False)) == ()
    assert [w.__name__ for w in webhook_workers(settings, WebhookSettings())] == ["webhook_fanout", "webhook_dispatcher"]
