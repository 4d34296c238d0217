"""`talent-gateway backfill`: link every existing ATS candidate to the CRM (by email, or by creating the prospect)
and re-apply the policy both ways to people already linked, with the live consumer's own code; resumable from a
checkpoint under `$GATEWAY_STATE_DIR`."""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from sync_gateway.cli.common import (
    RETRIES,
    CliError,
    gateway_and_database,
    is_retryable,
    load_settings,
    log,
    with_retries,
)
from sync_gateway.cli.progress import OUTCOMES, Progress
from sync_gateway.container import Database, Gateway
from sync_gateway.policy.engine import Side

STATE_DIR_ENV = "GATEWAY_STATE_DIR"
DEFAULT_STATE_DIR = ".local/gateway-cli"


class Checkpoints:
    """The last cursor per side, in a JSON file under the state dir, one file per target (database + urls), so
    that two stacks on one machine never share a checkpoint. Written atomically after every page; a lock file
    keeps two backfills of one target from running at once (released by the kernel even on SIGKILL)."""

    def __init__(self, directory: Path, settings: Any) -> None:
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


async def backfill_record(gateway: Gateway, db: Database, side: Side, record: dict[str, Any], seen: set[uuid.UUID]) -> str:
    """Link or re-sync one record in its own unit of work, like the live consumer handles its created event."""
    async with db.uow_factory() as uow:
        outcome = await gateway.profiles.backfill(uow.session, side, record, seen)
        await uow.commit()
    return outcome


async def backfill_side(gateway: Gateway, db: Database, side: Side, *, batch: int, restart: bool, max_pages: int | None,
                        filters: dict[str, str], store: Checkpoints, seen: set[uuid.UUID]) -> dict[str, Any]:
    """One side's records, page by page from the checkpoint, each handled in its own unit of work."""
    client = gateway.profiles.clients[side]
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
                              **dict.fromkeys(OUTCOMES, 0), "failed_ids": []}
    try:
        while True:
            params: dict[str, Any] = {"limit": batch, **filters, **({"cursor": cursor} if cursor else {})}
            try:
                page = await with_retries(f"{side} page", lambda p=params: client.get_json(client.collection, **p))
            except Exception as exc:  # noqa: BLE001 - reported in one line; the checkpoint is untouched
                raise CliError(f"{side}: cannot read {client.collection} ({exc}); "
                               f"with a stale checkpoint, run again with --restart") from None
            if not isinstance(page, dict) or not isinstance(page.get("data"), list):
                raise CliError(f"{side}: {client.collection} did not answer with a page of records")
            records, next_cursor = page["data"], page.get("next_cursor")
            progress.new_page(len(records))
            for record in records:
                try:
                    outcome = await with_retries(f"{side} {record['id']}",
                                                  lambda r=record: backfill_record(gateway, db, side, r, seen))
                except Exception as exc:  # noqa: BLE001 - one bad record must not stop the others (as a dead letter)
                    if is_retryable(exc):  # still unavailable after the retries: stop; the checkpoint holds
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
    """`talent-gateway backfill`."""
    settings = load_settings()
    state_dir = Path(os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR)
    store = Checkpoints(state_dir, settings)
    filters = {"updated_after": args.updated_after.isoformat()} if args.updated_after else {}
    sides = ("ats", "crm") if args.side == "both" else (args.side,)
    out: dict[str, Any] = {"checkpoint": str(store.path)}
    with store.locked():
        async with gateway_and_database(settings) as (gateway, db):
            seen: set[uuid.UUID] = set()
            for side in sides:
                out[side] = await backfill_side(gateway, db, side, batch=args.batch, restart=args.restart,
                                                max_pages=args.max_pages, filters=filters, store=store, seen=seen)
    failed = sum(out[side]["failed"] for side in sides)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for side in sides:
            r = out[side]
            counts = ", ".join(f"{name} {r[name]}" for name in OUTCOMES)
            state = "complete" if r["complete"] else "stopped early; run again to continue"
            print(f"backfill {side}: {r['records']} records in {r['pages']} page(s){' (resumed)' if r['resumed'] else ''}: "
                  f"{counts} ({state})")
            if r["failed_ids"]:
                print(f"  failed: {' '.join(r['failed_ids'])}")
        print(f"checkpoint: {store.path}")
    return 1 if failed else 0
