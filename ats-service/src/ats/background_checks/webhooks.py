"""Verifying the provider's webhooks: `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">` with the
shared secret (several `v1=` accepted while the provider rotates), a timestamp inside the tolerance window, and
each event id applied once (a replay is refused)."""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime

from talentkit.errors import BadRequest, Unauthorized

from ats.background_checks.models import CheckStatus

# provider event type -> (status it moves the check to, whether it carries a result)
EVENT_TYPES: dict[str, CheckStatus] = {
    "invitation.completed": CheckStatus.PENDING,  # the candidate filled in the provider's form
    "report.created": CheckStatus.PENDING,
    "report.completed": CheckStatus.COMPLETED,
    "report.suspended": CheckStatus.SUSPENDED,
    "report.canceled": CheckStatus.CANCELLED,
}
RESULTS = frozenset({"clear", "consider"})


@dataclass(frozen=True)
class ProviderUpdate:
    event_id: str
    status: CheckStatus
    candidate_id: str
    report_id: str | None
    result: str | None


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `X-Signature` value for `body` at `timestamp` (what the provider sends; tests sign with it)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(secret: str, header: str | None, body: bytes, *, now: datetime, tolerance_seconds: int) -> None:
    """Raise 401 unless `header` signs `body` with `secret` within the tolerance window."""
    parts = [p.strip().partition("=") for p in (header or "").split(",")]
    stamps = [v for k, _, v in parts if k == "t"]
    macs = [v for k, _, v in parts if k == "v1"]
    if len(stamps) != 1 or not stamps[0].isdigit() or not macs:
        raise Unauthorized("Missing or malformed `X-Signature`.", reason="bad_signature")
    timestamp = int(stamps[0])
    if abs(now.timestamp() - timestamp) > tolerance_seconds:
        raise Unauthorized("The webhook's timestamp is outside the tolerance window.", reason="stale_timestamp")
    expected = sign(secret, timestamp, body).partition(",v1=")[2]
    if not any(hmac.compare_digest(expected, m) for m in macs if m.isascii()):
        raise Unauthorized("The webhook's signature does not match.", reason="bad_signature")


def parse(payload: object) -> ProviderUpdate:
    """The update a (verified) webhook body carries; 400 naming what is wrong."""
    if not isinstance(payload, dict):
        raise BadRequest("The webhook body is not a JSON object.")
    event_id, kind, data = payload.get("id"), payload.get("type"), payload.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    if not isinstance(event_id, str) or not event_id or len(event_id) > 200:
        raise BadRequest("`id` is missing.", field="id")
    if kind not in EVENT_TYPES:
        raise BadRequest(f"Unknown event type {kind!r}.", field="type")
    if not isinstance(obj, dict) or not isinstance(obj.get("candidate_id"), str):
        raise BadRequest("`data.object.candidate_id` is missing.", field="data.object.candidate_id")
    result = obj.get("result")
    if EVENT_TYPES[kind] == CheckStatus.COMPLETED and result not in RESULTS:
        raise BadRequest("A completed report needs `result` clear or consider.", field="data.object.result")
    report = obj.get("id") if kind.startswith("report.") else None
    return ProviderUpdate(event_id=event_id, status=EVENT_TYPES[kind], candidate_id=obj["candidate_id"],
                          report_id=str(report) if report else None,
                          result=result if EVENT_TYPES[kind] == CheckStatus.COMPLETED else None)
