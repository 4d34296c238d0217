"""Reading a peer's record under the policy: each field's value and time, what a value means on the other side,
whether the record may still be written, and what a new record on the other side starts with."""
from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from shared_schemas.policy import REQUIRED_ON_CREATE, FieldKind

from sync_gateway.policy.engine import FieldState, Side, decide, other
from sync_gateway.policy.store import Policy

CRM_SOURCES = {"sourced", "referral", "event", "career_site", "talent_community", "ats_import"}


def translate(field: str, value: Any, to: Side) -> Any:
    """Values that mean something on one side only: CRM `source` is a closed list, and its `ats_import`
    says only that the ATS was the first touch, which is no news to the ATS."""
    if field == "source":
        if to == "crm" and value not in CRM_SOURCES:
            return None
        if to == "ats" and value == "ats_import":
            return None
    return value


def field_states(record: dict[str, Any], fields: tuple[str, ...] | list[str], default_time: datetime) -> dict[str, FieldState]:
    """Each field's value and change time. A field that was never set has no time: it never wins `two_way`
    against a value that was set (else a resync or a link by email would blank the other side)."""
    times = record.get("field_times") or {}

    def at(name: str) -> datetime | None:
        raw = times.get(name)
        if isinstance(raw, str):
            return datetime.fromisoformat(raw)
        if raw is not None:
            return raw
        return None if record.get(name) in (None, "", []) else default_time
    return {name: FieldState(record.get(name), at(name)) for name in fields}


def is_gone(record: dict[str, Any]) -> bool:
    """An erased or merged-away record (ATS candidate or CRM prospect): nothing is ever copied to or from it."""
    return bool(record.get("erased_at") or record.get("merged_into_id")) or record.get("status") in ("erased", "merged")


def resync_time(*records: dict[str, Any]) -> datetime:
    """The time a resync is applied under: just before anything known of either record. A field never set on a
    side is dated with the event's time; dated before everything, it loses to any real value, and set fields still
    compare by their own times (with now, a headline set only in the ATS would be blanked instead of copied)."""
    times: list[datetime] = []
    for record in records:
        for raw in (record.get("created_at"), *(record.get("field_times") or {}).values()):
            if isinstance(raw, str):
                with contextlib.suppress(ValueError):
                    times.append(datetime.fromisoformat(raw))
    return (min(times) if times else datetime.now(UTC)) - timedelta(milliseconds=1)


def creation_body(policy: Policy, source: Side, record: dict[str, Any], at: datetime) -> dict[str, Any]:
    """What a new record on the other side starts with: each field the policy carries from `source` into a blank
    record, and always the fields every person needs (first and last name), whatever their mode."""
    target = other(source)
    states = field_states(record, policy.synced, at)
    body: dict[str, Any] = {}
    for name in policy.synced:
        value = translate(name, states[name].value, target)
        if name in REQUIRED_ON_CREATE:
            body[name] = value
            continue
        empty = FieldState([] if policy.specs[name].kind is FieldKind.SET else None)
        decision = decide(policy.mode(name), source, FieldState(value, states[name].time), empty, before=None)
        if decision.write:
            body[name] = decision.value
    return {k: v for k, v in body.items() if v not in (None, [])}
