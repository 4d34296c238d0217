"""Webhook pieces without servers: signing (checked with the `standardwebhooks` library), address checks,
filters, Retry-After, and what an attempt's outcome does to the delivery and the endpoint."""
import base64
import ipaddress
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from sync_gateway.webhooks import filters, signing
from sync_gateway.webhooks.config import DEFAULT_RETRY_SCHEDULE, WebhookSettings
from sync_gateway.webhooks.delivery import (
    Outcome,
    apply_outcome,
    next_delay,
    parse_retry_after,
    render_body,
)
from sync_gateway.webhooks.models import WebhookDelivery, WebhookEndpoint
from sync_gateway.webhooks.ssrf import (
    UnsafeDestination,
    check_address,
    check_url,
    resolve_safe,
)


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


@pytest.mark.parametrize("url", ["http://10.0.0.5/x", "http://192.168.1.1/", "http://172.16.0.1/", "http://127.0.0.1:8080/",
                                 "http://[::1]/", "http://169.254.169.254/latest/meta-data", "http://169.254.1.1/",
                                 "http://localhost/", "http://0.0.0.0/", "http://[fe80::1]/", "http://100.64.0.1/",
                                 "http://[::ffff:10.0.0.1]/", "http://2130706433/", "http://127.1/",
                                 "http://metadata.google.internal/", "ftp://example.com/", "http://u:p@example.com/",
                                 "not a url"])
def test_internal_or_bad_urls_are_refused(url: str) -> None:
    with pytest.raises(UnsafeDestination):
        check_url(url, allow_loopback=False)


def test_loopback_setting_allows_loopback_but_never_metadata() -> None:
    check_url("http://127.0.0.1:9999/hook", allow_loopback=True)
    check_url("http://localhost:9999/hook", allow_loopback=True)
    with pytest.raises(UnsafeDestination):
        check_url("http://169.254.169.254/", allow_loopback=True)
    with pytest.raises(UnsafeDestination):
        check_url("http://10.1.2.3/", allow_loopback=True)
    check_url("https://hooks.example.com/x", allow_loopback=False)
    check_address(ipaddress.ip_address("93.184.216.34"), allow_loopback=False)


async def test_send_time_check_resolves_the_host() -> None:
    with pytest.raises(UnsafeDestination, match="loopback"):
        await resolve_safe("http://localhost:1/", allow_loopback=False)
    host, ip = await resolve_safe("http://localhost:1/", allow_loopback=True)
    assert host == "localhost" and ipaddress.ip_address(ip).is_loopback


def test_filters() -> None:
    assert filters.matches(["ats.application.*"], "ats.application.stage_changed.v1")
    assert not filters.matches(["ats.application.*"], "ats.applications_x.v1")
    assert not filters.matches(["ats.application.*"], "ats.candidate.created.v1")
    assert filters.matches(["crm.prospect.created.v1"], "crm.prospect.created.v1")
    assert filters.matches(["*"], "anything.v1")
    assert all(filters.valid(p) for p in ("*", "ats.*", "ats.candidate.created.v1"))
    assert not any(filters.valid(p) for p in ("", "ats.*.created", "ATS.x", "ats..x", "http://x"))


def test_retry_after_and_delays() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120
    assert parse_retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now) == 60
    assert parse_retry_after("soon", now) is None
    s = WebhookSettings(jitter=0.1)
    assert s.retry_schedule == DEFAULT_RETRY_SCHEDULE and 2.5 * 86400 < sum(DEFAULT_RETRY_SCHEDULE) < 3.5 * 86400
    for step, base in enumerate(DEFAULT_RETRY_SCHEDULE):
        assert base * 0.9 <= next_delay(s, step, None) <= base * 1.1  # type: ignore[operator]
    assert next_delay(s, 0, 600) == 600  # Retry-After later than the schedule wins
    assert next_delay(s, 0, 10**9) == s.max_retry_after_seconds
    assert next_delay(s, len(DEFAULT_RETRY_SCHEDULE), None) is None


def _pair() -> tuple[WebhookDelivery, WebhookEndpoint]:
    e = WebhookEndpoint(id=uuid.uuid4(), url="https://x.example/", event_types=["*"], enabled=True, secret="whsec_x",
                        version=1, created_by="t", updated_by="t")
    d = WebhookDelivery(id=uuid.uuid4(), endpoint_id=e.id, event_id="e", event_type="t", body="{}", status="pending",
                        attempt_count=0, retry_step=0)
    return d, e


def test_outcomes() -> None:
    s = WebhookSettings(jitter=0)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    d, e = _pair()
    a = apply_outcome(d, e, Outcome(ok=False, response_status=503), s, now)
    assert (a.number, a.status, d.status, d.next_attempt_at) == (1, "failed", "pending", now + timedelta(seconds=5))
    assert e.failing_since == now and e.enabled
    apply_outcome(d, e, Outcome(ok=True, response_status=200), s, now)
    assert d.status == "succeeded" and e.failing_since is None

    d, e = _pair()
    apply_outcome(d, e, Outcome(ok=False, response_status=410), s, now)
    assert d.status == "failed" and not e.enabled and "410" in (e.disabled_reason or "")

    d, e = _pair()  # failing for three days: disabled and flagged
    e.failing_since = now - timedelta(days=3)
    apply_outcome(d, e, Outcome(ok=False, error="ConnectError"), s, now)
    assert not e.enabled and "failed since" in (e.disabled_reason or "") and e.version == 2

    d, e = _pair()  # schedule exhausted
    d.retry_step = len(s.retry_schedule)
    apply_outcome(d, e, Outcome(ok=False, response_status=500), s, now)
    assert d.status == "failed" and d.next_attempt_at is None
