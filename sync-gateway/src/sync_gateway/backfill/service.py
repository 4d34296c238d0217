"""The backfill of one side, a page at a time: each page is read from its side (one GET), matched against the
gateway's links and tombstones (one short transaction), the unmatched candidates' emails looked up in the CRM (a
few GETs), the new prospects created in one batch (`POST /v1/prospects/batch`, an idempotency key per person), and
their links written in bulk with the versions applied (one short transaction). No transaction is open across a
peer call. The rare people who need more (linked by email, or already linked: re-synced both ways) go through the
live consumer's own profile sync, a few at a time. Several pages are in hand at once; the checkpoint only ever
moves past pages that are finished, in order, so a crash repeats at most the pages in hand (harmlessly: the
idempotency keys return the same prospects, the links exist).

Echoes: the prospects it creates announce themselves with the gateway's origin (dropped by the live consumer
before any database access), and the candidates' own versions are recorded as applied, so their older events
still in the topic are skipped by the live consumer without a peer call."""
from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from talentkit.uow import UnitOfWorkFactory

from sync_gateway.backfill import repository
from sync_gateway.clients.peer import PeerUnavailable
from sync_gateway.conflicts import repository as conflicts
from sync_gateway.conflicts.models import Conflict
from sync_gateway.links.models import Link
from sync_gateway.policy.engine import Side
from sync_gateway.policy.store import Policy
from sync_gateway.profiles.records import creation_body, is_gone
from sync_gateway.profiles.service import WRITES, ProfileSync, backfill_event

log = logging.getLogger("sync_gateway.backfill")
T = TypeVar("T")
Retry = Callable[[str, Callable[[], Awaitable[T]]], Awaitable[T]]
PAGE_LIMIT = 200  # the list endpoints' largest page


@dataclass
class PageDone:
    """What one page came to: its records, their outcomes, the ids that failed, and where the next page starts."""

    records: int
    next_cursor: str | None
    counts: Counter[str] = field(default_factory=Counter)
    failed_ids: list[str] = field(default_factory=list)


class GaveUp(Exception):
    """A peer or the database stayed unavailable through every retry: stop; the checkpoint holds."""


class Backfill:
    """Backfill one side from a cursor; `on_page(done)` is called for each finished page, in page order."""

    def __init__(self, *, profiles: ProfileSync, uow_factory: UnitOfWorkFactory, retry: Retry[Any],
                 is_retryable: Callable[[BaseException], bool], pages_at_once: int = 3, people_at_once: int = 8) -> None:
        self.profiles, self.uow_factory, self.retry, self.is_retryable = profiles, uow_factory, retry, is_retryable
        self.pages_at_once, self.people = pages_at_once, asyncio.Semaphore(people_at_once)
        self.seen: set[uuid.UUID] = set()  # links re-synced already (with both sides backfilled, once each)
        self.emailed: set[str] = set()  # addresses of the prospects this run created: one prospect per address

    async def run(self, side: Side, *, cursor: str | None, filters: dict[str, str], max_pages: int | None,
                  on_page: Callable[[PageDone], Awaitable[None]], on_total: Callable[[int], None] | None = None,
                  page_size: int = PAGE_LIMIT) -> bool:
        """Every page from `cursor` on (or `max_pages` of them); True when the last page was reached. `on_total`
        hears how many records the side holds in all (counted with the first page read, for a progress bar)."""
        client = self.profiles.clients[side]
        in_hand: deque[asyncio.Task[PageDone]] = deque()
        read, complete = 0, False
        try:
            while not complete and (max_pages is None or read < max_pages):
                params = {"limit": page_size, **filters, **({"cursor": cursor} if cursor else {}),
                          **({} if read else {"count": "true"})}
                page = await self.retry(f"{side} page", functools.partial(client.get_json, client.collection, **params))
                if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                    raise GaveUp(f"{side}: {client.collection} did not answer with a page of records")
                read += 1
                cursor, complete = page.get("next_cursor") or cursor, page.get("next_cursor") is None
                in_hand.append(asyncio.create_task(self.page(side, page["data"], page.get("next_cursor"))))
                if read == 1 and on_total is not None and isinstance(page.get("total"), int):
                    on_total(page["total"])
                while len(in_hand) >= self.pages_at_once or (in_hand and in_hand[0].done()):
                    await on_page(await in_hand.popleft())
            while in_hand:
                await on_page(await in_hand.popleft())
        finally:
            for task in in_hand:
                task.cancel()
            await asyncio.gather(*in_hand, return_exceptions=True)
        return complete

    async def page(self, side: Side, records: list[dict[str, Any]], next_cursor: str | None) -> PageDone:
        """Backfill one page of records."""
        done = PageDone(records=len(records), next_cursor=next_cursor)
        live = []
        for record in records:
            if record.get("merged_into_id"):
                done.counts["merged"] += 1  # a husk: its survivor carries the person
            elif is_gone(record):
                done.counts["erased"] += 1  # never re-imported nor re-synced (the erasure flow handles its link)
            else:
                live.append(record)
        ids = [uuid.UUID(str(r["id"])) for r in live]
        async with self.uow_factory() as uow:
            links = await repository.links_of(uow.session, side, ids)
            buried = await repository.buried(uow.session, [e for r in live for e in r.get("emails") or ()])
            policy = await self.profiles.policy.current(uow.session)
            await uow.commit()
        unlinked = [r for r in live if uuid.UUID(str(r["id"])) not in links]
        if side == "crm":
            done.counts["unlinked"] += len(unlinked)  # a prospect reaches the ATS only when pushed to a job
            unlinked = []
        fresh, by_email = [], []
        matches = await self._matches([r for r in unlinked if not buried.intersection(r.get("emails") or ())])
        for record in unlinked:
            emails = record.get("emails") or ()
            if buried.intersection(emails):
                done.counts["skipped"] += 1  # an erased person's email: never re-imported
            elif any(e in matches for e in emails):
                by_email.append(record)
            elif self.emailed.intersection(emails):
                done.counts["skipped"] += 1  # its prospect is another candidate's (as the live consumer decides)
            else:
                self.emailed.update(emails)
                fresh.append(record)
        await self._create(fresh, policy, done)
        one_by_one = [self._link_by_email(r, done) for r in by_email]
        one_by_one += [self._resync(r, links[uuid.UUID(str(r["id"]))], policy, done) for r in live
                       if uuid.UUID(str(r["id"])) in links]
        await asyncio.gather(*one_by_one)
        return done

    async def _matches(self, records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
        emails = [e for r in records for e in r.get("emails") or ()]
        if not emails:
            return {}
        crm = self.profiles.clients["crm"]
        return await self.retry("crm email lookup", lambda: crm.find_by_emails(emails))  # type: ignore[no-any-return]

    async def _create(self, records: list[dict[str, Any]], policy: Policy, done: PageDone) -> None:
        """Create the prospects of candidates nobody knows in the CRM, in one batch, and link them in bulk."""
        if not records:
            return
        items, events = [], []
        for record in records:
            event = backfill_event(record)
            body = creation_body(policy, "ats", record, event.time) | {"source": "ats_import"}
            items.append({"op": "create", "body": body, "idempotency_key": f"sync-gateway:{event.id}:create",
                          "causation_id": event.id, "source_time": event.time.isoformat()})
            events.append(event)
        crm = self.profiles.clients["crm"]
        results = await self.retry("crm batch", lambda: _batch_or_unavailable(crm, items))
        rows, versions = [], {}
        for record, event, result in zip(records, events, results, strict=True):
            if result["status"] >= 400:
                problem = result.get("problem") or {}
                log.error("candidate %s not carried to the CRM: %s %s", record["id"], result["status"],
                          problem.get("detail") or problem.get("title"))
                done.counts["failed"] += 1
                done.failed_ids.append(str(record["id"]))
                continue
            rows.append({"ats_candidate_id": uuid.UUID(str(record["id"])), "crm_prospect_id": uuid.UUID(result["body"]["id"]),
                         "matched_by": "created_in_crm", "caused_by_event": event.id})
            versions[str(record["id"])] = int(record["version"])
        WRITES.labels("crm", "create").inc(len(rows))

        async def write() -> set[uuid.UUID]:
            async with self.uow_factory() as uow:
                linked = await repository.add_links(uow.session, sorted(rows, key=lambda r: r["ats_candidate_id"]))
                await repository.advance(uow.session, "ats", dict(sorted(versions.items())))
                await uow.commit()
            return linked
        linked = await self.retry("links", write)
        for row in rows:
            if row["ats_candidate_id"] in linked:
                done.counts["created"] += 1
            else:  # linked meanwhile by the live consumer (its own event): that link stands
                log.warning("candidate %s was linked meanwhile; prospect %s left unlinked", row["ats_candidate_id"],
                            row["crm_prospect_id"])
                done.counts["skipped"] += 1

    async def _link_by_email(self, record: dict[str, Any], done: PageDone) -> None:
        """A candidate whose email the CRM knows: linked, and both sides merged, by the live consumer's code."""
        async with self.people:
            await self._one(record, done, lambda: self._backfill_record("ats", record))

    async def _backfill_record(self, side: Side, record: dict[str, Any]) -> str:
        async with self.uow_factory() as uow:
            outcome = await self.profiles.backfill(uow.session, side, record, self.seen)
            await uow.commit()
        return outcome

    async def _resync(self, record: dict[str, Any], link: Link, policy: Policy, done: PageDone) -> None:
        """An already linked person: the policy re-applied both ways (HTTP only), once per link."""
        if link.id in self.seen:
            done.counts["resynced"] += 1
            return
        self.seen.add(link.id)

        async def resync() -> str:
            outcome, found = await self.profiles.resync(link, policy=policy, causation_id=backfill_event(record).id)
            if outcome == "skipped":
                return "erased"
            await self._record_conflicts(found)
            return "resynced"
        async with self.people:
            await self._one(record, done, resync)

    async def _one(self, record: dict[str, Any], done: PageDone, make: Callable[[], Awaitable[str]]) -> None:
        try:
            outcome = await self.retry(f"record {record['id']}", make)
        except Exception as exc:
            if self.is_retryable(exc):  # still unavailable after the retries: stop; the checkpoint holds
                raise GaveUp(f"{record['id']}: gave up after retries ({exc})") from exc
            log.error("%s: not applied: %s: %s", record["id"], type(exc).__name__, exc)
            outcome = "failed"
            done.failed_ids.append(str(record["id"]))
        done.counts[outcome] += 1

    async def _record_conflicts(self, found: list[Conflict]) -> None:
        if found:
            async with self.uow_factory() as uow:
                await conflicts.record(uow.session, found)
                await uow.commit()


async def _batch_or_unavailable(client: Any, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The batch's results; a batch answered with fewer results than items is the peer's failure (retried)."""
    results = await client.batch(items)
    if len(results) != len(items):
        raise PeerUnavailable(f"{client.side} answered {len(results)} results to a batch of {len(items)}")
    return results  # type: ignore[no-any-return]
