"""Profile sync: link an ATS candidate to a CRM prospect (by email, or by creating the prospect), then carry
each profile change to the other side field by field under the ownership policy.

Loop prevention: events caused by our own writes (origin `sync-gateway`) are dropped; a field whose target
already holds the value is not written; an event older than one already applied (per-aggregate sequence) is skipped."""
from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter
from shared_schemas.envelope import EventEnvelope
from shared_schemas.events import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession
from talentkit.auth import GATEWAY_PRINCIPAL
from talentkit.batching import Coalescer
from talentkit.consumer import TransientError

from sync_gateway.clients.peer import PeerClient, StaleWrite
from sync_gateway.conflicts import repository as conflicts
from sync_gateway.conflicts.models import Conflict
from sync_gateway.links import repository as links
from sync_gateway.links import tombstones
from sync_gateway.links.models import Link
from sync_gateway.plan import Plan
from sync_gateway.policy.engine import UNKNOWN, FieldState, Side, decide, other
from sync_gateway.policy.store import Policy, PolicyCache
from sync_gateway.profiles import repository
from sync_gateway.profiles.records import (
    creation_body,
    field_states,
    is_gone,
    resync_time,
    translate,
)

log = logging.getLogger("sync_gateway.profiles")
ECHOES_DROPPED = Counter("gateway_echo_events_dropped_total", "Events caused by the gateway's own writes, not re-applied")
WRITES = Counter("gateway_writes_total", "Writes the gateway made", ["side", "kind"])
REIMPORTS_BLOCKED = Counter("gateway_reimports_blocked_total", "Erased people not re-imported (tombstones)")

PROFILE_EVENTS: dict[str, tuple[Side, str]] = {
    "ats.candidate.created.v1": ("ats", "candidate"),
    "ats.candidate.updated.v1": ("ats", "candidate"),
    "crm.prospect.created.v1": ("crm", "prospect"),
    "crm.prospect.updated.v1": ("crm", "prospect"),
}
MAX_STALE_RETRIES = 5


class ProfileSync:
    """Profile events of both systems, the link of a new candidate, the resync and backfill of one person.

    Every method that touches the gateway database takes the event's `Plan`: reads run at once with no transaction
    held, writes (cursor, link, conflicts) are kept for the one short transaction that follows the peer calls."""

    def __init__(self, *, ats: PeerClient, crm: PeerClient, policy: PolicyCache) -> None:
        self.clients: dict[Side, PeerClient] = {"ats": ats, "crm": crm}
        self.policy = policy
        self._situations: tuple[Any, Coalescer[tuple[str, uuid.UUID, tuple[str, ...]], Any]] | None = None

    async def situation(self, plan: Plan, side: Side, record_id: uuid.UUID,
                        emails: Sequence[str]) -> tuple[int | None, Link | None, bool]:
        """`repository.situation` of the record; the reads of events applied at the same moment share one
        statement (one round trip for a burst, as the writes share one batch)."""
        if plan.sessions is None:  # an open unit of work (the backfill): read through it
            return await plan.read(repository.situation, side, record_id, emails)
        if self._situations is None or self._situations[0] is not plan.sessions:
            sessions = plan.sessions

            async def read_all(wanted: list[tuple[str, uuid.UUID, tuple[str, ...]]]) -> list[Any]:
                async with sessions() as session:
                    return await repository.situations(session, wanted)
            self._situations = (sessions, Coalescer(read_all, max_items=200))
        return await self._situations[1]((side, record_id, tuple(emails)))  # type: ignore[no-any-return]

    async def current_policy(self, plan: Plan) -> Policy:
        """The effective policy (from the cache; read through the plan at most once per `max_age`)."""
        cached = self.policy.cached()
        return cached if cached is not None else await plan.read(self.policy.current)

    async def handle(self, plan: Plan, event: EventEnvelope) -> None:
        """Apply one profile event: peer calls now, the cursor, link and conflicts written through `plan`."""
        if event.type not in PROFILE_EVENTS:
            return
        if event.origin == GATEWAY_PRINCIPAL:
            ECHOES_DROPPED.inc()
            return
        side, key = PROFILE_EVENTS[event.type]
        snapshot = getattr(REGISTRY[event.type].model_validate(event.data), key).model_dump(mode="json")
        record_id = uuid.UUID(snapshot["id"])
        if isinstance(raw := event.data.get(key), dict):
            self.clients[side].remember(raw)  # the record as it stands now, every field the service sent
        emails = snapshot["emails"] if side == "ats" else ()  # a new candidate may be an erased person
        applied, link, buried = await self.situation(plan, side, record_id, emails)
        if applied is not None and applied >= event.sequence:
            return  # older than what was applied already
        plan.fold(repository.ADVANCE, side=side, aggregate_id=str(record_id), sequence=event.sequence)
        policy = await self.current_policy(plan)
        if link is None:
            if side == "crm":
                return  # a CRM prospect reaches the ATS only when pushed to a job
            link, created = await self.link_candidate(plan, snapshot, event, policy, buried=buried)
            if created or link is None:
                return
        changes = (event.data.get("changes") or {}) if event.type.endswith(".updated.v1") else None
        log_conflicts(plan, await self.apply(link, side, field_states(snapshot, policy.synced, event.time), event,
                                             policy=policy, changes=changes))

    async def link_of_candidate(self, plan: Plan, candidate_id: uuid.UUID, event: EventEnvelope) -> Link | None:
        """The candidate's link; application events may overtake the candidate's own (other topic): link now."""
        link = await plan.read(links.of, "ats", candidate_id)
        if link is not None:
            return link
        got = await self.clients["ats"].get(candidate_id)
        if got is None:
            return None
        link, _ = await self.link_candidate(plan, got[0], event, await self.current_policy(plan))
        return link

    async def link_candidate(self, plan: Plan, snapshot: dict[str, Any], event: EventEnvelope, policy: Policy, *,
                             buried: bool | None = None) -> tuple[Link | None, bool]:
        """Link a new ATS candidate to the CRM prospect with the same email, or create the prospect; never for
        an erased person (a tombstone holds one of the emails; `buried` when already read). True when the
        prospect was created."""
        crm = self.clients["crm"]
        if buried if buried is not None else await plan.read(tombstones.buried, snapshot["emails"]):
            REIMPORTS_BLOCKED.inc()
            log.info("not re-importing an erased person", extra={"candidate_id": snapshot["id"], "event_id": event.id})
            return None, False
        body = creation_body(policy, "ats", snapshot, event.time)
        body["source"] = "ats_import"
        create: dict[str, Any] = {"idempotency_key": f"sync-gateway:{event.id}:create", "causation_id": event.id,
                  "source_time": event.time}
        if set(body.get("emails") or ()) >= set(snapshot["emails"]):
            # The CRM matches by the same emails as it creates: one round trip for the lookup and the create.
            record, created = await crm.create_or_find(body, **create)
            found = None if created else record
        else:  # the policy keeps some emails out of the CRM: look for every one of them first
            found, created = await self._find_by_emails(snapshot["emails"]), False
            if found is None:
                record, created = await crm.create(body, **create), True
        if found is not None:
            return await self._link_found(plan, snapshot, found, event, policy), False
        WRITES.labels("crm", "create").inc()
        link = links.new(ats_candidate_id=uuid.UUID(snapshot["id"]), crm_prospect_id=uuid.UUID(record["id"]),
                         matched_by="created_in_crm", caused_by_event=event.id)
        plan.write(functools.partial(links.store, link=link))
        return link, True

    async def _find_by_emails(self, emails: list[str]) -> dict[str, Any] | None:
        """The oldest prospect holding the first of `emails` that a prospect holds."""
        for email in emails:
            if (found := await self.clients["crm"].find_by_email(email)) is not None:
                return found
        return None

    async def _link_found(self, plan: Plan, snapshot: dict[str, Any], found: dict[str, Any], event: EventEnvelope,
                          policy: Policy) -> Link | None:
        """Link the candidate to the prospect found by email (not when it is linked to another candidate)."""
        if await plan.read(links.of, "crm", uuid.UUID(found["id"])) is not None:
            log.warning("prospect already linked to another candidate; not linking twice",
                        extra={"prospect_id": found["id"], "candidate_id": snapshot["id"], "event_id": event.id})
            return None
        # A prospect we created ourselves (an earlier attempt at this event died before its link committed).
        ours = found.get("created_by") == GATEWAY_PRINCIPAL
        link = links.new(ats_candidate_id=uuid.UUID(snapshot["id"]), crm_prospect_id=uuid.UUID(found["id"]),
                         matched_by="created_in_crm" if ours else "email", caused_by_event=event.id)
        plan.write(functools.partial(links.store, link=link))
        # What the CRM knew first flows to the ATS too (union of contact points, newer names).
        log_conflicts(plan, await self.apply(link, "crm", field_states(found, policy.synced, event.time), event,
                                             policy=policy))
        return link

    async def backfill(self, session: AsyncSession, side: Side, record: dict[str, Any], seen: set[uuid.UUID]) -> str:
        """Handle one existing record as the live consumer handles its created event: link (or create) an unlinked
        candidate, re-sync a linked person (once per `seen`), in the caller's unit of work. Returns the outcome:
        created, linked, resynced, unlinked (a prospect reaches the ATS only when pushed to a job), merged, erased
        or skipped."""
        plan = Plan(session=session)
        outcome = await self._backfill(plan, side, record, seen)
        await plan.apply(session)
        return outcome

    async def _backfill(self, plan: Plan, side: Side, record: dict[str, Any], seen: set[uuid.UUID]) -> str:
        if record.get("merged_into_id"):
            return "merged"  # a husk: its survivor carries the person
        if is_gone(record):
            return "erased"  # never re-imported nor re-synced (the erasure flow handles its link)
        event = backfill_event(record)
        policy = await self.current_policy(plan)
        link = await plan.read(links.of, side, uuid.UUID(str(record["id"])))
        if link is None:
            if side == "crm":
                return "unlinked"
            link, created = await self.link_candidate(plan, record, event, policy)
            if link is None:
                return "skipped"  # an erased person's email (tombstone), or its prospect is linked to another (logged)
            seen.add(link.id)
            if created:
                return "created"
            log_conflicts(plan, await self.apply(link, "ats", field_states(record, policy.synced, event.time), event,
                                                 policy=policy))
            return "linked"
        if link.id not in seen:  # with both sides backfilled, a link is re-synced once
            outcome, found = await self.resync(link, policy=policy, causation_id=event.id)
            if outcome == "skipped":
                return "erased"
            log_conflicts(plan, found)
            seen.add(link.id)
        return "resynced"

    async def resync(self, link: Link, *, policy: Policy, causation_id: str | None = None) -> tuple[str, list[Conflict]]:
        """Re-apply the policy both ways to one link (HTTP only: the caller records the conflicts). Returns
        `resynced`, or `skipped` when a side is erased, merged away or gone (never written again)."""
        ids: dict[Side, uuid.UUID | None] = {"ats": link.ats_candidate_id, "crm": link.crm_prospect_id}
        records: dict[Side, dict[str, Any]] = {}
        for side, record_id in ids.items():
            got = await self.clients[side].get(record_id) if record_id else None
            if got is None or is_gone(got[0]):
                return "skipped", []
            records[side] = got[0]
        event = EventEnvelope(source="/sync-gateway", type="gateway.resync", subject=str(link.id), sequence=0, data={},
                              time=resync_time(*records.values()), causationid=causation_id)
        found = await self.apply(link, "ats", field_states(records["ats"], policy.synced, event.time), event, policy=policy)
        got = await self.clients["crm"].get(ids["crm"])  # type: ignore[arg-type]  # not None: checked above; re-read, the ATS side may have written to it
        if got is not None:
            found += await self.apply(link, "crm", field_states(got[0], policy.synced, event.time), event, policy=policy)
        return "resynced", found

    async def apply(self, link: Link, source: Side, states: dict[str, FieldState], event: EventEnvelope, *,
                    policy: Policy, changes: dict[str, Any] | None = None, only: set[str] | None = None,
                    reassert: bool = True) -> list[Conflict]:
        """Write to the other side what the policy says the change on `source` implies; return the overridden
        values (the caller logs them). `changes` are an update's before/after per field; None for a creation, a
        link or a resync (all fields compare). When the change loses a `two_way` conflict, the winner is written
        back to `source` too, so both sides converge even if their clocks disagree (the loser's own later events
        are then older than what it holds, and lose again)."""
        target = other(source)
        client = self.clients[target]
        target_id = link.crm_prospect_id if target == "crm" else link.ats_candidate_id
        # The newest version of the target seen (our last write, its last event) saves a read: a write decided on
        # it goes out under its If-Match (412 when it moved on: read and decide again); "nothing to write" is only
        # trusted from a fresh read.
        remembered = client.recall(target_id)  # type: ignore[arg-type]
        for _ in range(MAX_STALE_RETRIES):
            fresh = remembered is None
            got = remembered or await client.get(target_id)  # type: ignore[arg-type]
            remembered = None
            if got is None:
                log.warning("linked record is gone", extra={"side": target, "id": str(target_id), "event_id": event.id})
                return []
            record, etag = got
            if is_gone(record):
                return []  # erased or merged away meanwhile: never written again (the peer would refuse: 410/409)
            current = field_states(record, policy.synced, event.time)
            writes: dict[str, Any] = {}
            times: dict[str, datetime] = {}
            found: list[Conflict] = []
            for name in policy.synced:
                if only is not None and name not in only:
                    continue
                mode = policy.mode(name)
                if changes is not None and name not in changes and mode.value != "two_way":
                    # Only what this event changed flows for sets and one-way fields: an unrelated edit must not
                    # re-add an element the other side removed. Two-way fields always compare (time-guarded, so
                    # an event skipped as out of order loses nothing).
                    continue
                before = None if changes is None else (changes[name].get("before") if name in changes else UNKNOWN)
                src = FieldState(translate(name, states[name].value, target), states[name].time)
                decision = decide(mode, source, src, current[name], before=before)
                if decision.conflict:
                    values = {source: states[name], target: current[name]}
                    found.append(Conflict(link_id=link.id, field=name, rule=decision.rule, winner=decision.winner,
                                          event_id=event.id, ats_value=values["ats"].value, crm_value=values["crm"].value,
                                          ats_time=values["ats"].time, crm_time=values["crm"].time))
                if decision.write:
                    writes[name] = decision.value
                    times[name] = src.time or event.time
            if not writes and not fresh:
                continue  # confirm on a fresh read that the target really holds it all
            try:
                if writes:
                    record = await client.patch(target_id, writes, etag=etag, causation_id=event.id,  # type: ignore[arg-type]
                                                source_time=event.time, field_times=times)
                    WRITES.labels(target, "update").inc()
            except StaleWrite:
                continue
            lost = {c.field for c in found if c.rule == "two_way" and c.winner == target}
            if lost and reassert:
                # Only the winner's value goes back; it overrides nothing new (logged once, above).
                await self.apply(link, target, field_states(record, policy.synced, event.time), event, policy=policy,
                                 changes={}, only=lost, reassert=False)
            return found
        raise TransientError(f"{target} {target_id} kept changing under us; retrying later")


def log_conflicts(plan: Plan, found: Sequence[Conflict]) -> None:
    """Log the overridden values in the event's transaction (nothing to write when there are none)."""
    if found:
        plan.write(functools.partial(conflicts.record, conflicts=list(found)))


def backfill_event(record: dict[str, Any]) -> EventEnvelope:
    """The synthetic event a record is backfilled under: its id is fixed per record, so the CRM create's
    Idempotency-Key (`sync-gateway:<event id>:create`) is too and a re-run or retry never creates twice. Its time
    is the record's creation, the time of the created event the live consumer would have linked it under
    (a re-sync of a linked record uses `resync_time` instead)."""
    raw = record.get("created_at")
    at = datetime.fromisoformat(raw) if isinstance(raw, str) else datetime.now(UTC)
    return EventEnvelope(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"backfill:{record['id']}")), source="/sync-gateway",
                         type="gateway.backfill", subject=str(record["id"]), sequence=0, data={}, time=at)
