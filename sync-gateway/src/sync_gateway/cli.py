"""Operations CLI of the sync gateway: `talent-gateway <command>` or `python -m sync_gateway <command>`.

Every command reads the service's own settings and environment (`GATEWAY_DATABASE_URL`, `GATEWAY_ATS_URL`,
`GATEWAY_CRM_URL`, `GATEWAY_CONSUMER_GROUP`, `KAFKA_BOOTSTRAP_SERVERS`, `TALENT_GATEWAY_API_KEY`) and does its
work with the live consumer's own code, so what it writes is exactly what the consumer would have written:

  backfill   link every ATS candidate to the CRM (by email, or by creating the prospect) and re-apply the
             policy both ways to people already linked; resumable (checkpoint under `$GATEWAY_STATE_DIR`).
  resync     re-apply the policy both ways to one person's link.
  replay     hand a range of a topic partition to the live consumer's handler, through its dedupe.
  lag        committed offset, log end offset and lag of a consumer group, per topic partition.
  webhooks   run the webhook fan-out and dispatcher in this process (beside gateways with GATEWAY_WEBHOOKS_ENABLED=false).

Results go to stdout (`--json` for a machine-readable form); progress and diagnostics go to stderr.
Exit codes: 0 done, 1 failed (or some records failed), 2 bad usage, 130 interrupted."""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import fcntl
import hashlib
import json
import logging
import os
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

log = logging.getLogger("sync_gateway.cli")

STATE_DIR_ENV = "GATEWAY_STATE_DIR"
DEFAULT_STATE_DIR = ".local/gateway-cli"
BACKFILL_OUTCOMES = ("created", "linked", "resynced", "unlinked", "merged", "erased", "skipped", "failed")
RETRIES = 5


class ErasedRecord(Exception):
    """One side of the person was erased: nothing may be copied to or from it (the erasure flow deletes the link)."""


def is_erased(record: dict[str, Any]) -> bool:
    return bool(record.get("erased_at")) or record.get("status") == "erased"  # ATS candidate | CRM prospect


class CliError(Exception):
    """A failure to report in one line (no traceback), with the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


# --- the gateway's parts, built as `sync_gateway.main.create_app` builds them -----------------------------------

class Gateway:
    """The peer clients, ProfileSync, BusinessFlows and the database sessions of the gateway service."""

    def __init__(self, settings: Any) -> None:
        from talentkit.db import create_engine, sessionmaker

        from sync_gateway import models  # noqa: F401 - every table mapped before the first query
        from sync_gateway.clients.peer import PeerClient
        from sync_gateway.consumers.flows import BusinessFlows
        from sync_gateway.consumers.profile_sync import ProfileSync
        from sync_gateway.policy.store import effective_policy

        key = settings.gateway_api_key or settings.admin_api_key
        if key is None:
            raise CliError("set TALENT_GATEWAY_API_KEY: the gateway writes to the ATS and CRM with it")
        self.settings = settings
        self.ats = PeerClient(side="ats", base_url=settings.ats_url, collection="/v1/candidates",
                              api_key=key.get_secret_value(), timeout=settings.http_timeout_seconds)
        self.crm = PeerClient(side="crm", base_url=settings.crm_url, collection="/v1/prospects",
                              api_key=key.get_secret_value(), timeout=settings.http_timeout_seconds)
        self.clients = {"ats": self.ats, "crm": self.crm}
        self.sync = ProfileSync(ats=self.ats, crm=self.crm, policy={}, policy_source=effective_policy)
        self.flows = BusinessFlows(ats=self.ats, crm=self.crm, profiles=self.sync,
                                   silver_min_stage=settings.silver_medalist_min_stage)
        self.engine = create_engine(settings.database_url)
        self.sessions = sessionmaker(self.engine)
        self._effective_policy = effective_policy

    async def close(self) -> None:
        await self.ats.close()
        await self.crm.close()
        await self.engine.dispose()

    async def handle(self, session: Any, event: Any) -> None:
        """The live consumer's handler (`create_app.handle`)."""
        await self.sync.handle(session, event)
        await self.flows.handle(session, event)

    async def load_policy(self, session: Any) -> None:
        self.sync.policy = await self._effective_policy(session)

    async def resync(self, session: Any, link: Any, event: Any) -> None:
        """Re-apply the current policy both ways to one link, as `create_app.resync` does (ATS side first, then
        the CRM side read again) except for the event's time, see `resync_time`."""
        from sync_gateway.consumers.profile_sync import field_states

        await self.load_policy(session)
        ids = {"ats": link.ats_candidate_id, "crm": link.crm_prospect_id}
        records = {side: await self.clients[side].get(rid) if rid else None for side, rid in ids.items()}
        for side, got in records.items():
            if got is not None and is_erased(got[0]):
                raise ErasedRecord(f"the {side.upper()} side ({ids[side]}) is erased")
        event = event.model_copy(update={"time": resync_time(*(got[0] for got in records.values() if got))})
        for side in ("ats", "crm"):
            got = records[side] if side == "ats" else (await self.clients[side].get(ids[side]) if ids[side] else None)
            if got is not None:
                await self.sync.apply(session, link, side, field_states(got[0], self.sync.fields, event.time), event)


def resync_time(*records: dict[str, Any]) -> datetime:
    """The time a resync is applied under: just before anything known of either record.

    ProfileSync dates a field that was never set on a side (no `field_times` entry) with the event's time.
    `create_app.resync` uses now, which makes such a field the newest change of all: a headline set in the ATS
    while the CRM never had one is blanked in the ATS instead of copied to the CRM. Dated before everything,
    a never-set field loses to any real value, and set fields still compare by their own times."""
    times: list[datetime] = []
    for record in records:
        for raw in (record.get("created_at"), *(record.get("field_times") or {}).values()):
            if isinstance(raw, str):
                with contextlib.suppress(ValueError):
                    times.append(datetime.fromisoformat(raw))
    return (min(times) if times else datetime.now(UTC)) - timedelta(milliseconds=1)


def _settings() -> Any:
    from pydantic import ValidationError

    from sync_gateway.config import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise CliError(f"invalid gateway settings: {exc}") from None


def _is_retryable(exc: BaseException) -> bool:
    from sqlalchemy.exc import IntegrityError, OperationalError
    from talentkit.consumer import TransientError

    # TransientError covers PeerUnavailable (5xx, 429, timeouts) and a record that kept changing under us;
    # IntegrityError is the live consumer linking the same person at the same moment (the retry sees its link).
    return isinstance(exc, (TransientError, IntegrityError, OperationalError))


# --- progress on stderr ---------------------------------------------------------------------------------------

class Progress:
    """One status line on stderr: a bar for the current page (list endpoints give no total), running counts
    and the rate. Redrawn in place on a terminal; one line per page otherwise (logs, CI)."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 20) -> None:
        self.label, self.stream, self.width = label, stream or sys.stderr, width
        self.tty = self.stream.isatty()
        self.started = time.monotonic()
        self.page_no, self.page_size, self.in_page, self.done = 0, 0, 0, 0
        self.counts: Counter[str] = Counter()
        self._last_draw = 0.0

    def new_page(self, size: int) -> None:
        self.page_no, self.page_size, self.in_page = self.page_no + 1, size, 0
        if self.tty:
            self._draw(force=True)

    def step(self, outcome: str) -> None:
        self.in_page += 1
        self.done += 1
        self.counts[outcome] += 1
        if self.tty:
            self._draw()

    def end_page(self) -> None:
        self._draw(force=True, newline=not self.tty)

    def close(self) -> None:
        if self.tty and self.page_no:
            self.stream.write("\n")
            self.stream.flush()

    def line(self) -> str:
        filled = self.width if not self.page_size else round(self.width * self.in_page / self.page_size)
        bar = "#" * filled + "-" * (self.width - filled)
        rate = self.done / max(time.monotonic() - self.started, 1e-6)
        counts = " ".join(f"{name} {self.counts[name]}" for name in BACKFILL_OUTCOMES if self.counts[name])
        return (f"{self.label} page {self.page_no} [{bar}] {self.in_page}/{self.page_size} | {self.done} done"
                f"{' | ' + counts if counts else ''} | {rate:.1f}/s")

    def _draw(self, force: bool = False, newline: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last_draw < 0.1:
            return
        self._last_draw = now
        if self.tty:
            self.stream.write("\r\x1b[2K" + self.line())
        else:
            self.stream.write(self.line() + ("\n" if newline else ""))
        self.stream.flush()


# --- backfill checkpoint --------------------------------------------------------------------------------------

class Checkpoints:
    """The last cursor per side, in a JSON file under the state dir, one file per target (database + urls), so
    that two stacks on one machine never share a checkpoint. Written atomically after every page; a lock file
    keeps two backfills of one target from running at once (released by the kernel even on SIGKILL)."""

    def __init__(self, directory: Path, settings: Any) -> None:
        from sqlalchemy.engine import make_url

        self.target = {"database": make_url(settings.database_url).render_as_string(hide_password=True),
                       "ats_url": settings.ats_url, "crm_url": settings.crm_url}
        digest = hashlib.sha256(json.dumps(self.target, sort_keys=True).encode()).hexdigest()[:12]
        self.directory = directory
        self.path = directory / f"backfill-{digest}.json"

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise CliError(f"another backfill of this target is running (lock {lock.name})") from None
            yield

    def load(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            print(f"checkpoint {self.path} unreadable ({exc}); starting over", file=sys.stderr)
            return {}
        return data.get("sides", {}) if isinstance(data, dict) else {}

    def save(self, side: str, entry: dict[str, Any]) -> None:
        sides = self.load()
        sides[side] = entry
        body = json.dumps({"target": self.target, "sides": sides}, indent=2, sort_keys=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with open(tmp, "w") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)


# --- backfill -------------------------------------------------------------------------------------------------

def backfill_event(side: str, record: dict[str, Any]) -> Any:
    """The synthetic event a record is applied under: its id is fixed per record, so the CRM create's
    Idempotency-Key (`sync-gateway:<event id>:create`) is too and a re-run or retry never creates twice. Its time
    is the record's creation, the time of the created event the live consumer would have linked it under
    (a re-sync of a linked record uses `resync_time` instead)."""
    from shared_schemas.envelope import EventEnvelope

    raw = record.get("created_at")
    at = datetime.fromisoformat(raw) if isinstance(raw, str) else datetime.now(UTC)
    return EventEnvelope(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"backfill:{record['id']}")), source="/sync-gateway",
                         type="gateway.backfill", subject=str(record["id"]), sequence=0, data={}, time=at)


async def backfill_record(gw: Gateway, side: str, record: dict[str, Any], seen: set[uuid.UUID]) -> str:
    """Link or re-sync one record in its own transaction, like the live consumer handles its created event."""
    from sync_gateway.consumers.profile_sync import field_states
    from sync_gateway.links import repository as links

    if record.get("merged_into_id"):
        return "merged"  # a husk: its survivor carries the person
    if is_erased(record):
        return "erased"  # never re-imported nor re-synced (the erasure flow handles its link)
    event = backfill_event(side, record)
    async with gw.sessions() as session, session.begin():
        await gw.load_policy(session)
        link = await links.by_side(session, side, uuid.UUID(str(record["id"])))
        if link is None:
            if side == "crm":
                return "unlinked"  # a prospect reaches the ATS only when pushed to a job
            link, created = await gw.sync._link_candidate(session, record, event)
            if link is None:
                return "skipped"  # an erased person's email (tombstone), or its prospect is linked to another (logged)
            seen.add(link.id)
            if created:
                return "created"
            await gw.sync.apply(session, link, "ats", field_states(record, gw.sync.fields, event.time), event)
            return "linked"
        if link.id not in seen:  # with --side both, a link is re-synced once
            try:
                await gw.resync(session, link, event)
            except ErasedRecord:
                return "erased"
            seen.add(link.id)
        return "resynced"


async def _with_retries(what: str, make: Any) -> Any:
    for attempt in range(1, RETRIES + 1):
        try:
            return await make()
        except Exception as exc:
            if not _is_retryable(exc) or attempt == RETRIES:
                raise
            delay = min(10.0, 0.5 * 2 ** attempt)
            log.warning("%s: transient failure (%r); retry %d in %.1fs", what, exc, attempt, delay)
            await asyncio.sleep(delay)
    raise AssertionError("unreachable")


async def backfill_side(gw: Gateway, side: str, *, batch: int, restart: bool, max_pages: int | None,
                        filters: dict[str, str], store: Checkpoints, seen: set[uuid.UUID]) -> dict[str, Any]:
    client = gw.clients[side]
    saved = None if restart else store.load().get(side)
    if saved and saved.get("filters", {}) != filters:
        print(f"{side}: the checkpoint is for other filters ({saved.get('filters')}); starting over", file=sys.stderr)
        saved = None
    cursor = saved.get("cursor") if saved else None
    earlier = int(saved.get("records", 0)) if saved else 0
    if saved:
        where = "re-reading its last page" if saved.get("complete") else "at its next page"
        print(f"{side}: resuming from the checkpoint ({earlier} records done earlier), {where}", file=sys.stderr)
    progress = Progress(f"backfill {side}")
    result: dict[str, Any] = {"resumed": bool(saved and cursor), "records": 0, "pages": 0, "complete": False,
                              **dict.fromkeys(BACKFILL_OUTCOMES, 0), "failed_ids": []}
    try:
        while True:
            params: dict[str, Any] = {"limit": batch, **filters, **({"cursor": cursor} if cursor else {})}
            try:
                page = await _with_retries(f"{side} page", lambda p=params: client.get_json(client.collection, **p))
            except Exception as exc:  # noqa: BLE001 - reported in one line; the checkpoint is untouched
                raise CliError(f"{side}: cannot read {client.collection} ({exc}); "
                               f"with a stale checkpoint, run again with --restart") from None
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise CliError(f"{side}: {client.collection} did not answer with a page of records")
            records, next_cursor = page["data"], page.get("next_cursor")
            progress.new_page(len(records))
            for record in records:
                try:
                    outcome = await _with_retries(f"{side} {record['id']}",
                                                  lambda r=record: backfill_record(gw, side, r, seen))
                except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others (as a dead letter)
                    if _is_retryable(exc):  # still unavailable after the retries: stop; the checkpoint holds
                        raise CliError(f"{side} {record['id']}: gave up after {RETRIES} attempts ({exc}); "
                                       f"run again to resume") from None
                    log.error("%s %s: not applied: %s: %s", side, record["id"], type(exc).__name__, exc)
                    outcome = "failed"
                    result["failed_ids"].append(str(record["id"]))
                result[outcome] += 1
                result["records"] += 1
                progress.step(outcome)
            progress.end_page()
            result["pages"] += 1
            # The next page to do; after the last page, that page again (a later run picks up what was added since).
            result["complete"] = next_cursor is None
            store.save(side, {"cursor": next_cursor or cursor, "complete": result["complete"], "filters": filters,
                              "records": earlier + result["records"], "batch": batch,
                              "saved_at": datetime.now(UTC).isoformat(),
                              "failed_ids": (saved or {}).get("failed_ids", [])[-500:] + result["failed_ids"]})
            if next_cursor is None or (max_pages is not None and result["pages"] >= max_pages):
                break
            cursor = next_cursor
    finally:
        progress.close()
    return result


async def cmd_backfill(args: argparse.Namespace) -> int:
    settings = _settings()
    state_dir = Path(os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR)
    store = Checkpoints(state_dir, settings)
    filters = {"updated_after": args.updated_after.isoformat()} if args.updated_after else {}
    sides = ("ats", "crm") if args.side == "both" else (args.side,)
    out: dict[str, Any] = {"checkpoint": str(store.path)}
    with store.locked():
        gw = Gateway(settings)
        try:
            seen: set[uuid.UUID] = set()
            for side in sides:
                out[side] = await backfill_side(gw, side, batch=args.batch, restart=args.restart, max_pages=args.max_pages,
                                                filters=filters, store=store, seen=seen)
        finally:
            await gw.close()
    failed = sum(out[side]["failed"] for side in sides)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for side in sides:
            r = out[side]
            counts = ", ".join(f"{name} {r[name]}" for name in BACKFILL_OUTCOMES)
            state = "complete" if r["complete"] else "stopped early; run again to continue"
            print(f"backfill {side}: {r['records']} records in {r['pages']} page(s){' (resumed)' if r['resumed'] else ''}: "
                  f"{counts} ({state})")
            if r["failed_ids"]:
                print(f"  failed: {' '.join(r['failed_ids'])}")
        print(f"checkpoint: {store.path}")
    return 1 if failed else 0


# --- resync ---------------------------------------------------------------------------------------------------

async def cmd_resync(args: argparse.Namespace) -> int:
    from shared_schemas.envelope import EventEnvelope

    from sync_gateway.links import repository as links

    side, record_id = ("ats", args.candidate) if args.candidate else ("crm", args.prospect)
    noun = "ATS candidate" if side == "ats" else "CRM prospect"
    gw = Gateway(_settings())
    try:
        async with gw.sessions() as session, session.begin():
            link = await links.by_side(session, side, record_id)
            if link is None:
                raise CliError(f"{noun} {record_id} has no link")
            before = await _snapshots(gw, link)
            event = EventEnvelope(source="/sync-gateway", type="gateway.resync", subject=str(link.id), sequence=0,
                                  data={}, causationid=f"cli-{uuid.uuid4()}")
            try:
                await gw.resync(session, link, event)
            except ErasedRecord as exc:
                raise CliError(f"not re-synced: {exc}; the erasure flow removes this link") from None
            fields = gw.sync.fields
        after = await _snapshots(gw, link)
    finally:
        await gw.close()
    changed = {s: sorted(f for f in fields if (before.get(s) or {}).get(f) != (after.get(s) or {}).get(f)) for s in ("ats", "crm")}
    out = {"link_id": str(link.id), "ats_candidate_id": str(link.ats_candidate_id) if link.ats_candidate_id else None,
           "crm_prospect_id": str(link.crm_prospect_id) if link.crm_prospect_id else None, "changed": changed}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        print(f"resynced link {link.id}: ATS candidate {link.ats_candidate_id} <-> CRM prospect {link.crm_prospect_id}")
        for s in ("ats", "crm"):
            print(f"  {s}: {', '.join(changed[s]) if changed[s] else 'unchanged'}")
    return 0


async def _snapshots(gw: Gateway, link: Any) -> dict[str, dict[str, Any] | None]:
    out: dict[str, dict[str, Any] | None] = {}
    for side, record_id in (("ats", link.ats_candidate_id), ("crm", link.crm_prospect_id)):
        got = await gw.clients[side].get(record_id) if record_id else None
        out[side] = got[0] if got else None
    return out


# --- replay ---------------------------------------------------------------------------------------------------

async def cmd_replay(args: argparse.Namespace) -> int:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient
    from talentkit.consumer import EventConsumer, TransientError

    from sync_gateway.clients.peer import PeerUnavailable
    from sync_gateway.db import platform
    from sync_gateway.operations import dead_letters

    class CountingConsumer(EventConsumer):
        """The live consumer's record handling (parse, dedupe on processed events, one transaction, retry
        transient failures, dead-letter poison), counting what became of each record."""

        counts: Counter[str]

        async def _apply(self, event: Any) -> bool:
            applied = await super()._apply(event)
            self.counts["applied" if applied else "duplicates"] += 1
            return applied

        async def dead_letter(self, record: Any, error: BaseException, attempts: int) -> None:
            await super().dead_letter(record, error, attempts)
            self.counts["dead_lettered"] += 1

    if args.to_offset is not None and args.to_offset < args.from_offset:
        raise CliError("--to-offset is before --from-offset", code=2)
    settings = _settings()
    group = settings.consumer_group
    tp = TopicPartition(args.topic, args.partition)
    gw = Gateway(settings)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
                              enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True, acks="all")
    counts: Counter[str] = Counter()
    first = last = None
    try:
        admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
        await admin.start()
        try:
            partitions = await _partitions(admin, {args.topic})
        finally:
            await admin.close()
        if args.partition not in partitions.get(args.topic, []):
            raise CliError(f"{args.topic} has no partition {args.partition}")
        await reader.start()
        await producer.start()
        reader.assign([tp])
        begin = (await reader.beginning_offsets([tp]))[tp]
        end = (await reader.end_offsets([tp]))[tp]
        stop = end if args.to_offset is None else min(args.to_offset + 1, end)
        start = max(args.from_offset, begin)
        if args.from_offset < begin:
            print(f"offsets before {begin} are no longer on {args.topic}[{args.partition}]; starting at {begin}", file=sys.stderr)
        if args.to_offset is not None and args.to_offset >= end:
            print(f"{args.topic}[{args.partition}] ends at {end - 1}; replaying up to there", file=sys.stderr)
        consumer = CountingConsumer(group=group, topics=(args.topic,), bootstrap=settings.kafka_bootstrap_servers,
                                    sessions=gw.sessions, tables=platform, handler=gw.handle,
                                    is_transient=lambda e: isinstance(e, (TransientError, PeerUnavailable)),
                                    on_dead_letter=dead_letters.sink(group, gw.sessions))
        consumer.counts = counts
        consumer.producer = producer  # dead letters go to the same DLQ topic the live consumer uses
        if start < stop:
            reader.seek(tp, start)
            while await reader.position(tp) < stop:
                batch = await reader.getmany(tp, timeout_ms=1000, max_records=500)
                for record in batch.get(tp, []):
                    if record.offset >= stop:
                        break
                    await consumer.handle_record(record)
                    first = record.offset if first is None else first
                    last = record.offset
                    counts["records"] += 1
                    if counts["records"] % 100 == 0:
                        print(f"replay {args.topic}[{args.partition}]: at offset {record.offset}", file=sys.stderr)
    finally:
        for client in (reader, producer):
            with contextlib.suppress(Exception):
                await client.stop()
        await gw.close()
    out = {"topic": args.topic, "partition": args.partition, "consumer_group": group, "first_offset": first,
           "last_offset": last, "records": counts["records"], "applied": counts["applied"],
           "duplicates": counts["duplicates"], "dead_lettered": counts["dead_lettered"]}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        span = f"offsets {first}..{last}" if first is not None else "no records in that range"
        print(f"replay {args.topic}[{args.partition}] ({span}) as {group}: records {out['records']}: "
              f"applied {out['applied']}, duplicates {out['duplicates']}, dead-lettered {out['dead_lettered']}")
    return 0


async def _partitions(admin: Any, topics: set[str]) -> dict[str, list[int]]:
    """The partitions of those of `topics` that exist (a missing topic is left out, never auto-created)."""
    existing = sorted(topics & set(await admin.list_topics()))
    if not existing:
        return {}
    return {t["topic"]: sorted(p["partition"] for p in t.get("partitions", ()))
            for t in await admin.describe_topics(existing) if not t.get("error_code")}


# --- lag ------------------------------------------------------------------------------------------------------

async def cmd_lag(args: argparse.Namespace) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    settings = _settings()
    group = args.group or settings.consumer_group
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None, enable_auto_commit=False)
    try:
        await admin.start()
        await reader.start()
        committed = await admin.list_consumer_group_offsets(group)
        topics = {tp.topic for tp in committed} | set(args.topic or ())
        if group == settings.consumer_group and not args.topic:
            from sync_gateway.main import TOPICS
            topics |= set(TOPICS)  # the topics the gateway's consumer subscribes to
        partitions = await _partitions(admin, topics)
        tps = [TopicPartition(t, p) for t in sorted(partitions) for p in partitions[t]]
        missing = sorted(topics - set(partitions))
        begin = await reader.beginning_offsets(tps) if tps else {}
        end = await reader.end_offsets(tps) if tps else {}
    finally:
        for client in (reader, admin):
            with contextlib.suppress(Exception):
                await (client.stop() if client is reader else client.close())
    rows = []
    for tp in tps:
        meta = committed.get(tp)
        offset = meta.offset if meta is not None and meta.offset >= 0 else None
        # No committed offset: the group starts from the earliest record (auto_offset_reset="earliest").
        rows.append({"topic": tp.topic, "partition": tp.partition, "committed": offset, "end": end[tp],
                     "lag": max(end[tp] - (offset if offset is not None else begin[tp]), 0)})
    if args.json:
        print(json.dumps({"group": group, "partitions": rows, "total_lag": sum(r["lag"] for r in rows),
                          "missing_topics": missing}, indent=2))
        return 0
    header = ("TOPIC", "PARTITION", "COMMITTED", "END", "LAG")
    table = [header, *[(r["topic"], str(r["partition"]), "-" if r["committed"] is None else str(r["committed"]),
                        str(r["end"]), str(r["lag"])) for r in rows]]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]
    print(f"consumer group {group}")
    for row in table:
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    print(f"total lag {sum(r['lag'] for r in rows)}")
    for topic in missing:
        print(f"(topic {topic} does not exist yet)")
    return 0


# --- command line ---------------------------------------------------------------------------------------------

def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _batch(value: str) -> int:
    number = _positive(value)
    if number > 200:
        raise argparse.ArgumentTypeError("at most 200 (the APIs' page limit)")
    return number


def _offset(value: str) -> int:
    number = int(value)
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def _aware_time(value: str) -> datetime:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("not an ISO 8601 time") from None
    if at.tzinfo is None:
        raise argparse.ArgumentTypeError("give a UTC offset, e.g. 2025-01-31T00:00:00+00:00")
    return at


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--json", action="store_true", help="print the result as JSON on stdout")
    common.add_argument("-v", "--verbose", action="store_true", help="log INFO and above on stderr")
    parser = argparse.ArgumentParser(
        prog="talent-gateway", description="Operations on the sync gateway, with the service's settings (GATEWAY_*, "
        "KAFKA_BOOTSTRAP_SERVERS, TALENT_GATEWAY_API_KEY).")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = commands.add_parser("backfill", parents=[common], help="link existing people and re-sync linked ones",
                            description="Page through the ATS candidates (and/or CRM prospects) and handle each like the "
                            "live consumer handles its created event: link an unlinked candidate to the CRM prospect with "
                            "its email, or create the prospect; re-apply the policy both ways to linked people. Each record "
                            "is its own transaction; re-running is harmless. Resumes from the checkpoint in "
                            f"${STATE_DIR_ENV} (default {DEFAULT_STATE_DIR}/) unless --restart.")
    p.add_argument("--side", choices=("ats", "crm", "both"), default="both",
                   help="ats: candidates (link or create, re-sync linked); crm: re-sync linked prospects; both (default)")
    p.add_argument("--batch", type=_batch, default=100, help="records per page (1-200, default 100)")
    p.add_argument("--restart", action="store_true", help="ignore the checkpoint and start from the first record")
    p.add_argument("--max-pages", type=_positive, help="stop after this many pages (checkpointed; run again to go on)")
    p.add_argument("--updated-after", type=_aware_time, metavar="TIME",
                   help="only records changed after this ISO 8601 time (with offset)")
    p.set_defaults(run=cmd_backfill)

    p = commands.add_parser("resync", parents=[common], help="re-apply the policy both ways to one link")
    who = p.add_mutually_exclusive_group(required=True)
    who.add_argument("--candidate", type=uuid.UUID, metavar="ID", help="an ATS candidate id")
    who.add_argument("--prospect", type=uuid.UUID, metavar="ID", help="a CRM prospect id")
    p.set_defaults(run=cmd_resync)

    p = commands.add_parser("replay", parents=[common], help="re-handle a range of a topic partition",
                            description="Read offsets FROM..TO (inclusive) of one partition with a plain consumer (no group, "
                            "nothing committed) and hand each record to the live consumer's handler through its dedupe: "
                            "events already applied by the consumer group change nothing.")
    p.add_argument("--topic", required=True)
    p.add_argument("--partition", type=_offset, required=True)
    p.add_argument("--from-offset", type=_offset, required=True, metavar="FROM")
    p.add_argument("--to-offset", type=_offset, metavar="TO", help="last offset, inclusive (default: the current end)")
    p.set_defaults(run=cmd_replay)

    p = commands.add_parser("lag", parents=[common], help="consumer group lag per topic partition")
    p.add_argument("--group", help="consumer group (default: GATEWAY_CONSUMER_GROUP, sync-gateway)")
    p.add_argument("--topic", action="append", help="show this topic (repeatable; default: the gateway's topics and "
                   "every topic the group committed on)")
    p.set_defaults(run=cmd_lag)

    from sync_gateway.webhooks import workers as webhooks  # noqa: PLC0415 - like every command, loaded when used
    webhooks.register(commands, [common])
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(args.run(args))
    except CliError as exc:
        print(f"talent-gateway {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"talent-gateway {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
