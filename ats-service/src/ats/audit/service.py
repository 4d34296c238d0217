"""Append to and verify the audit chain. Appends are serialized (transaction-scoped advisory lock) so that each
entry's `prev_hash` is the hash of the entry committed just before it."""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import RequestContext
from talentkit.uow import DomainEvent, UnitOfWork

from ats.audit.models import AuditEvent

GENESIS = "0" * 64
_LOCK = 0x41554454  # "AUDT"


def entry_hash(prev_hash: str, e: AuditEvent) -> str:
    """sha256 over the previous hash and the entry's canonical JSON (every field but id and hash)."""
    canonical = json.dumps({
        "occurred_at": e.occurred_at.astimezone(UTC).isoformat(), "actor": e.actor,
        "on_behalf_of": e.on_behalf_of, "request_id": e.request_id, "causation_id": e.causation_id,
        "action": e.action, "target_type": e.target_type, "target_id": e.target_id, "changes": e.changes,
    }, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def _jsonable(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))


async def record(session: AsyncSession, ctx: RequestContext, action: str, target_type: str, target_id: Any,
                 changes: dict[str, Any]) -> AuditEvent:
    """Append one entry in the caller's transaction."""
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    prev = (await session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))).scalar()
    entry = AuditEvent(occurred_at=datetime.now(UTC), actor=ctx.principal.id,
                       on_behalf_of=ctx.principal.on_behalf_of, request_id=ctx.request_id,
                       causation_id=ctx.causation_id, action=action, target_type=target_type,
                       target_id=str(target_id), changes=_jsonable(changes), prev_hash=prev or GENESIS)
    entry.hash = entry_hash(entry.prev_hash, entry)
    session.add(entry)
    await session.flush()
    return entry


async def trail(uow: UnitOfWork, events: Sequence[DomainEvent]) -> None:
    """The unit of work's audit sink: one entry per ATS event, derived from the event itself (action from its
    type, target from its aggregate, `changes` as the aggregate recorded them)."""
    ours = [e for e in events if e.service == "ats"]
    if not ours:
        return
    session = uow.session
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK})
    prev = (await session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1))).scalar() or GENESIS
    now = datetime.now(UTC)
    for e in ours:
        ctx = e.ctx or uow.ctx
        entry = AuditEvent(occurred_at=now, actor=ctx.principal.id if ctx else "system",
                           on_behalf_of=ctx.principal.on_behalf_of if ctx else None,
                           request_id=ctx.request_id if ctx else None, causation_id=ctx.causation_id if ctx else None,
                           action=e.action, target_type=e.aggregate, target_id=e.aggregate_id,
                           changes=e.changes or {}, prev_hash=prev)
        entry.hash = prev = entry_hash(prev, entry)
        session.add(entry)
    await session.flush()


@dataclass
class Verification:
    ok: bool
    checked: int
    first_broken_id: int | None = None
    reason: str | None = None


async def verify(session: AsyncSession, batch: int = 2000) -> Verification:
    """Recompute the whole chain in order; report the first entry whose link or hash does not hold."""
    prev, checked, after = GENESIS, 0, 0
    while True:
        rows = (await session.execute(select(AuditEvent).where(AuditEvent.id > after).order_by(AuditEvent.id).limit(batch))).scalars().all()
        if not rows:
            return Verification(ok=True, checked=checked)
        for e in rows:
            if e.prev_hash != prev:
                return Verification(False, checked, e.id, "prev_hash does not match the previous entry's hash (an entry was removed or reordered)")
            if entry_hash(prev, e) != e.hash:
                return Verification(False, checked, e.id, "hash does not match the entry's content (the entry was altered)")
            prev, checked, after = e.hash, checked + 1, e.id
        session.expunge_all()
