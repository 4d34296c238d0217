"""The audit trail: one entry per ATS event, written by the unit of work in the event's transaction, each entry
chained to the previous one by hash; and its verification."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.errors import BadRequest, field_error
from talentkit.pagination import Paging, decode_cursor, encode_cursor
from talentkit.uow import DomainEvent, UnitOfWork

from ats.audit import personal, repository
from ats.audit.models import AuditEvent, AuditPersonalValues
from ats.jobs.models import stage_change

GENESIS = "0" * 64

# The action of an entry is its event's type without service and version (`ats.application.hired.v1` ->
# `application.hired`), except where the trail named an action finer than (or before) its event: auditors' queries
# and the activity feed keep those names.
_FINER: dict[str, Callable[[DomainEvent], str]] = {
    "ats.application.stage_changed.v1": lambda e: "application.moved",
    "ats.candidate.merged.v1": lambda e: "candidate.merged_into",  # the duplicate's entry; the survivor's is `merged`
    "ats.job.opened.v1": lambda e: "job.reopened" if e.data.get("reopened") else "job.opened",
    "ats.job.updated.v1": lambda e: f"job.{stage_change(e.changes or {}) or 'updated'}",
}


def action(event: DomainEvent) -> str:
    """The audit action of an event."""
    finer = _FINER.get(event.type)
    return finer(event) if finer else event.action


def canonical(e: AuditEvent) -> str:
    """The entry's canonical JSON: every field but id and the two hashes, keys sorted, no spaces. Personal values
    are in it only as their salted digest, so erasing them leaves every hash intact."""
    return json.dumps({
        "occurred_at": e.occurred_at.astimezone(UTC).isoformat(), "actor": e.actor,
        "on_behalf_of": e.on_behalf_of, "request_id": e.request_id, "causation_id": e.causation_id,
        "action": e.action, "target_type": e.target_type, "target_id": e.target_id, "changes": e.changes,
        "subject_id": e.subject_id, "personal_digest": e.personal_digest,
    }, sort_keys=True, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, e: AuditEvent) -> str:
    """sha256 over the previous hash and the entry's canonical JSON (the database's `audit_link` links each new
    entry the same way; verification recomputes it here)."""
    return hashlib.sha256((prev_hash + canonical(e)).encode()).hexdigest()


async def trail(uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
    """The unit of work's audit sink: one entry per ATS event, derived from the event itself (action from its
    type, target from its aggregate, `changes` as the aggregate recorded them), who from its context. Everything
    is built before the chain's lock; the entries are linked inside the COMMIT, where the lock is taken."""
    ours = [e for e in events if e.service == "ats"]
    if not ours:
        return
    now = datetime.now(UTC)
    entries = []
    for e in ours:
        ctx = e.ctx or uow.ctx
        plain, private = personal.split(e.changes or {})
        subject = personal.subject_of(e)
        if private and subject is None and e.data.get("application_id"):
            subject = await repository.candidate_of_application(uow.session, str(e.data["application_id"]))
        entry = AuditEvent(occurred_at=now, actor=ctx.principal.id if ctx else "system",
                           on_behalf_of=ctx.principal.on_behalf_of if ctx else None,
                           request_id=ctx.request_id if ctx else None, causation_id=ctx.causation_id if ctx else None,
                           action=action(e), target_type=e.aggregate, target_id=e.aggregate_id,
                           changes=plain, subject_id=subject)
        if private:
            salt = personal.new_salt()
            entry.personal_digest = personal.digest(salt, private)
            entry.personal = AuditPersonalValues(subject_id=subject or "", salt=salt, values=private)
        entries.append(entry)
    repository.append(uow, entries, [canonical(entry) for entry in entries])


async def forget(session: AsyncSession, subject_id: str) -> int:
    """Erase the personal values of every entry about the candidate; the entries and the chain stay."""
    return await repository.forget(session, subject_id)


async def list_entries(*, uow: UnitOfWork, paging: Paging, target_type: str | None, target_id: str | None,
                       actor: str | None, after: datetime | None) -> dict[str, Any]:
    """A page of entries in the order they were written (oldest first), filtered with AND."""
    start = 0
    if paging.cursor:
        try:
            start = int(decode_cursor(paging.cursor)["after"][0])
        except (IndexError, TypeError, ValueError):
            raise BadRequest("The cursor is not one this API issued.", errors=[field_error("cursor", "invalid cursor")]) from None
    rows = await repository.entries(uow.session, after_id=start, limit=paging.limit + 1, target_type=target_type,
                                    target_id=target_id, actor=actor, occurred_after=after)
    cursor = url = None
    if len(rows) > paging.limit:
        rows = rows[:paging.limit]
        cursor = encode_cursor({"after": [rows[-1].id]})
        url = paging.link_next({k: v for k, v in paging.request.query_params.items() if k != "cursor"} | {"cursor": cursor})
    return {"data": rows, "next_cursor": cursor, "next": url}


@dataclass
class Verification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


async def verify_chain(*, uow: UnitOfWork) -> Verification:
    """Recompute the whole chain; report the first entry whose link or hash does not hold."""
    return await verify(uow.session)


async def verify(session: AsyncSession, batch: int = 2000) -> Verification:
    """Recompute the whole chain in order; report the first entry whose link or hash does not hold."""
    prev, checked, after = GENESIS, 0, 0
    while True:
        rows = await repository.entries(session, after_id=after, limit=batch)
        if not rows:
            return Verification(ok=True, checked=checked)
        for e in rows:
            if e.prev_hash != prev:
                return Verification(False, checked, e.id, "prev_hash does not match the previous entry's hash (an entry was removed or reordered)")
            if entry_hash(prev, e) != e.hash:
                return Verification(False, checked, e.id, "hash does not match the entry's content (the entry was altered)")
            if e.personal is not None and personal.digest(e.personal.salt, e.personal.values) != e.personal_digest:
                return Verification(False, checked, e.id, "the personal values do not match the entry's digest (they were altered)")
            prev, checked, after = e.hash, checked + 1, e.id
        session.expunge_all()
