"""Profile sync: link an ATS candidate to a CRM prospect (by email, or by creating the prospect), then carry
each profile change to the other side field by field under the ownership policy.

Loop prevention: events caused by our own writes (origin `sync-gateway`) are dropped; a field whose target
already holds the value is not written; an event older than one already applied (per-aggregate sequence) is skipped."""
from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from prometheus_client import Counter
from shared_schemas.envelope import EventEnvelope
from shared_schemas.events import REGISTRY
from shared_schemas.policy import FieldSpec
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import GATEWAY_PRINCIPAL
from talentkit.consumer import TransientError

from sync_gateway.clients.peer import PeerClient, StaleWrite
from sync_gateway.conflicts.models import Conflict
from sync_gateway.consumers.models import AggregateCursor
from sync_gateway.links import repository as links
from sync_gateway.links import tombstones
from sync_gateway.links.models import Link
from sync_gateway.policy.engine import FieldState, Side, decide, other

log = logging.getLogger("sync_gateway.profile_sync")
ECHOES_DROPPED = Counter("gateway_echo_events_dropped_total", "Events caused by the gateway's own writes, not re-applied")
WRITES = Counter("gateway_writes_total", "Writes the gateway made", ["side", "kind"])
CONFLICTS = Counter("gateway_conflicts_total", "Field conflicts resolved", ["field"])
REIMPORTS_BLOCKED = Counter("gateway_reimports_blocked_total", "Erased people not re-imported (tombstones)")

PROFILE_EVENTS: dict[str, tuple[Side, str]] = {
    "ats.candidate.created.v1": ("ats", "candidate"),
    "ats.candidate.updated.v1": ("ats", "candidate"),
    "crm.prospect.created.v1": ("crm", "prospect"),
    "crm.prospect.updated.v1": ("crm", "prospect"),
}
CRM_SOURCES = {"sourced", "referral", "event", "career_site", "talent_community", "ats_import"}
MAX_STALE_RETRIES = 5


def translate(field: str, value: Any, to: Side) -> Any:
    """Values that mean something on one side only: CRM `source` is a closed list, and its `ats_import`
    says only that the ATS was the first touch, which is no news to the ATS."""
    if field == "source":
        if to == "crm" and value not in CRM_SOURCES:
            return None
        if to == "ats" and value == "ats_import":
            return None
    return value


def field_states(record: dict[str, Any], fields: list[str], default_time: datetime) -> dict[str, FieldState]:
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


class ProfileSync:
    """The handler for profile events of both systems."""

    def __init__(self, *, ats: PeerClient, crm: PeerClient, policy: dict[str, FieldSpec],
                 policy_source: Callable[[AsyncSession], Awaitable[dict[str, FieldSpec]]] | None = None) -> None:
        self.clients: dict[Side, PeerClient] = {"ats": ats, "crm": crm}
        self.policy = policy
        self.policy_source = policy_source  # the effective policy, read per event (runtime changes apply at once)

    @property
    def fields(self) -> list[str]:
        return [name for name, spec in self.policy.items() if spec.synced_now]

    async def handle(self, session: AsyncSession, event: EventEnvelope) -> None:
        """Apply one event (called inside the consumer's transaction)."""
        if event.type not in PROFILE_EVENTS:
            return
        if event.origin == GATEWAY_PRINCIPAL:
            ECHOES_DROPPED.inc()
            return
        if self.policy_source is not None:
            self.policy = await self.policy_source(session)
        side, key = PROFILE_EVENTS[event.type]
        snapshot = getattr(REGISTRY[event.type].model_validate(event.data), key).model_dump(mode="json")
        record_id = uuid.UUID(snapshot["id"])
        if not await self._advance(session, side, str(record_id), event.sequence):
            return
        link = await links.by_side(session, side, record_id)
        if link is None:
            if side == "crm":
                return  # a CRM prospect reaches the ATS only when pushed to a job
            link, created = await self._link_candidate(session, snapshot, event)
            if created or link is None:
                return
        changed = set(event.data.get("changes") or {}) if event.type.endswith(".updated.v1") else None
        await self.apply(session, link, side, field_states(snapshot, self.fields, event.time), event, changed=changed)

    async def _advance(self, session: AsyncSession, side: str, aggregate_id: str, sequence: int) -> bool:
        """Record `sequence` as the newest applied for the aggregate; False when the event is older."""
        stmt = insert(AggregateCursor).values(side=side, aggregate_id=aggregate_id, sequence=sequence)
        stmt = stmt.on_conflict_do_update(index_elements=["side", "aggregate_id"], set_={"sequence": sequence},
                                          where=AggregateCursor.sequence < sequence).returning(AggregateCursor.sequence)
        return (await session.execute(stmt)).first() is not None

    async def link_candidate(self, session: AsyncSession, snapshot: dict[str, Any], event: EventEnvelope) -> Link | None:
        """Link a candidate met first through another event (an application overtaking its candidate), under the
        effective policy (a fresh process has read none yet: the prospect it creates would have no fields)."""
        if self.policy_source is not None:
            self.policy = await self.policy_source(session)
        link, _ = await self._link_candidate(session, snapshot, event)
        return link

    async def _link_candidate(self, session: AsyncSession, snapshot: dict[str, Any], event: EventEnvelope) -> tuple[Link | None, bool]:
        """Link a new ATS candidate to the CRM prospect with the same email, or create the prospect; never for
        an erased person (a tombstone holds one of the emails)."""
        crm = self.clients["crm"]
        if await tombstones.buried(session, snapshot["emails"]):
            REIMPORTS_BLOCKED.inc()
            log.info("not re-importing an erased person", extra={"candidate_id": snapshot["id"], "event_id": event.id})
            return None, False
        for email in snapshot["emails"]:
            found = await crm.find_by_email(email)
            if found is None:
                continue
            if await links.by_side(session, "crm", uuid.UUID(found["id"])) is not None:
                log.warning("prospect already linked to another candidate; not linking twice",
                            extra={"prospect_id": found["id"], "candidate_id": snapshot["id"], "event_id": event.id})
                return None, False
            # A prospect we created ourselves (an earlier attempt at this event died before its link committed).
            ours = found.get("created_by") == GATEWAY_PRINCIPAL
            link = Link(ats_candidate_id=uuid.UUID(snapshot["id"]), crm_prospect_id=uuid.UUID(found["id"]),
                        matched_by="created_in_crm" if ours else "email", confidence=1.0, caused_by_event=event.id)
            session.add(link)
            await session.flush()
            # What the CRM knew first flows to the ATS too (union of contact points, newer names).
            await self.apply(session, link, "crm", field_states(found, self.fields, event.time), event)
            return link, False
        body = {name: translate(name, snapshot.get(name), "crm") for name in self.fields
                if self.policy[name].mode.value not in ("none", "crm")}
        body["source"] = "ats_import"
        created = await crm.create({k: v for k, v in body.items() if v is not None},
                                   idempotency_key=f"sync-gateway:{event.id}:create", causation_id=event.id,
                                   source_time=event.time)
        WRITES.labels("crm", "create").inc()
        link = Link(ats_candidate_id=uuid.UUID(snapshot["id"]), crm_prospect_id=uuid.UUID(created["id"]),
                    matched_by="created_in_crm", confidence=1.0, caused_by_event=event.id)
        session.add(link)
        await session.flush()
        return link, True

    async def apply(self, session: AsyncSession, link: Link, source: Side, states: dict[str, FieldState],
                    event: EventEnvelope, *, only: set[str] | None = None, reassert: bool = True,
                    changed: set[str] | None = None) -> None:
        """Write to the other side what the policy says the change on `source` implies. When the change loses
        a conflict, the winner is written back to `source` too, so both sides converge even if their clocks
        disagree (the loser's own later events are then older than what it holds, and lose again)."""
        target = other(source)
        client = self.clients[target]
        target_id = link.crm_prospect_id if target == "crm" else link.ats_candidate_id
        for _ in range(MAX_STALE_RETRIES):
            got = await client.get(target_id)  # type: ignore[arg-type]
            if got is None:
                log.warning("linked record is gone", extra={"side": target, "id": str(target_id), "event_id": event.id})
                return
            record, etag = got
            current = field_states(record, self.fields, event.time)
            writes: dict[str, Any] = {}
            times: dict[str, datetime] = {}
            conflicts: list[Conflict] = []
            for name in self.fields:
                if only is not None and name not in only:
                    continue
                spec = self.policy[name]
                if changed is not None and name not in changed and spec.mode.value != "two_way":
                    # Only what this event changed flows for sets and one-way fields: an unrelated edit must not
                    # re-add an element the other side removed. Two-way fields always compare (time-guarded, so
                    # an event skipped as out of order loses nothing).
                    continue
                src = FieldState(translate(name, states[name].value, target), states[name].time)
                decision = decide(spec.mode, source, src, current[name])
                if decision.conflict:
                    values = {source: states[name], target: current[name]}
                    conflicts.append(Conflict(link_id=link.id, field=name, rule=decision.rule, winner=decision.winner,
                                              event_id=event.id, ats_value=values["ats"].value, crm_value=values["crm"].value,
                                              ats_time=values["ats"].time, crm_time=values["crm"].time))
                if decision.write:
                    writes[name] = decision.value
                    times[name] = src.time or event.time
            try:
                if writes:
                    record = await client.patch(target_id, writes, etag=etag, causation_id=event.id,  # type: ignore[arg-type]
                                                source_time=event.time, field_times=times)
                    WRITES.labels(target, "update").inc()
            except StaleWrite:
                continue
            for conflict in conflicts:
                CONFLICTS.labels(conflict.field).inc()
                session.add(conflict)
            if conflicts and reassert:
                await self.apply(session, link, target, field_states(record, self.fields, event.time), event,
                                 only={c.field for c in conflicts}, reassert=False)
            return
        raise TransientError(f"{target} {target_id} kept changing under us; retrying later")
