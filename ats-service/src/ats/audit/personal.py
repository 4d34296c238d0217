"""Which recorded changes are personal data, and whom they are about: the trail keeps those values apart."""
from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from talentkit.uow import DomainEvent

# Names, contact points and free text written about a person (notes, feedback, offer terms, reasons they gave).
# Ids, stages, statuses, dates and `source` are not personal: reports and auditors need them after an erasure.
PERSONAL_KEYS = frozenset({
    "first_name", "last_name", "emails", "phones", "location", "headline", "tags", "current_company", "links",
    "body", "notes", "ratings", "terms", "salary", "currency", "decline_reason", "hire_override", "referrer",
})


def split(changes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what stays in the hashed entry, the personal values kept apart)."""
    plain = {k: v for k, v in changes.items() if k not in PERSONAL_KEYS}
    return plain, {k: v for k, v in changes.items() if k in PERSONAL_KEYS}


def subject_of(event: DomainEvent) -> str | None:
    """The candidate an event is about: the candidate itself, or the `candidate_id` its data carries."""
    if event.aggregate == "candidate":
        return event.aggregate_id
    data = event.data
    for holder in (data, *(v for v in data.values() if isinstance(v, dict))):
        if holder.get("candidate_id"):
            return str(holder["candidate_id"])
    return None


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def new_salt() -> str:
    return secrets.token_hex(16)


def digest(salt: str, values: dict[str, Any]) -> str:
    """What the hashed entry keeps of its personal values."""
    return hashlib.sha256((salt + canonical(values)).encode()).hexdigest()
