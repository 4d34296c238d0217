"""Erasing a profile: anonymise every personal field, keep the record (ids, dates, version) for reporting."""
from datetime import UTC, datetime
from typing import Any

from shared_schemas.erasure import email_hash

from talentkit.profiles.models import ProfileMixin

ERASED_NAME = "Erased"


def anonymise(record: ProfileMixin, actor: str, extra_fields: tuple[str, ...] = ()) -> list[str]:
    """Blank the personal fields of `record` in place; return the hashes of the emails it had."""
    hashes = [email_hash(e) for e in record.emails or []]
    record.first_name = record.last_name = ERASED_NAME
    for name in ("emails", "phones", "tags", *[f for f in extra_fields if f in record.LIST_FIELDS]):
        setattr(record, name, [])
    for name in ("location", "headline", "source", *[f for f in extra_fields if f not in record.LIST_FIELDS]):
        setattr(record, name, None)
    record.field_times = {}
    record.version += 1
    record.updated_at = datetime.now(UTC)
    record.updated_by = actor
    return hashes


def erased_payload(record_id: Any, hashes: list[str], reason: str | None, key: str) -> dict[str, Any]:
    return {key: record_id, "email_hashes": hashes, "reason": reason}
