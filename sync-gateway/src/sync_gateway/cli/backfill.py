"""`talent-gateway backfill`: link every existing ATS candidate to the CRM (by email, or by creating the prospects
in batches) and re-apply the policy both ways to people already linked (`sync_gateway.backfill`); resumable from a
checkpoint under `$GATEWAY_STATE_DIR`, with a progress bar on a terminal and a progress line per page otherwise."""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from sync_gateway.backfill.service import Backfill, GaveUp, PageDone
from sync_gateway.cli.common import (
    RETRIES,
    CliError,
    gateway_and_database,
    is_retryable,
    load_settings,
    with_retries,
)
from sync_gateway.cli.progress import OUTCOMES, Progress
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


async def backfill_side(engine: Backfill, side: Side, *, batch: int, restart: bool, max_pages: int | None,
                        filters: dict[str, str], store: Checkpoints) -> dict[str, Any]:
    """One side's records, page by page from the checkpoint (see `sync_gateway.backfill.service`)."""
    client = engine.profiles.clients[side]
    saved = None if restart else store.load().get(side)
    if saved and saved.get("filters", {}) != filters:
        print(f"{side}: the checkpoint is for other filters ({saved.get('filters')}); starting over", file=sys.stderr)
        saved = None
    cursor = saved.get("cursor") if saved else None
    earlier = int(saved.get("records", 0)) if saved else 0
    if saved:
        where = "re-reading its last page" if saved.get("complete") else "at its next page"
        print(f"{side}: resuming from the checkpoint ({earlier} records done earlier), {where}", file=sys.stderr)
    progress = Progress(f"backfill {side}", done=earlier)
    result: dict[str, Any] = {"resumed": bool(saved and cursor), "records": 0, "pages": 0, "complete": False,
                              **dict.fromkeys(OUTCOMES, 0), "failed_ids": []}
    failed_before = (saved or {}).get("failed_ids", [])[-500:]

    async def page_done(done: PageDone) -> None:
        nonlocal cursor
        progress.page(done.records, done.counts)
        result["pages"] += 1
        result["records"] += done.records
        for outcome, n in done.counts.items():
            result[outcome] += n
        result["failed_ids"] += done.failed_ids
        # The next page to do; after the last page, that page again (a later run picks up what was added since).
        cursor = done.next_cursor or cursor
        store.save(side, {"cursor": cursor, "complete": done.next_cursor is None, "filters": filters,
                          "records": earlier + result["records"], "batch": batch,
                          "saved_at": datetime.now(UTC).isoformat(), "failed_ids": failed_before + result["failed_ids"]})
    try:
        def total(n: int) -> None:
            progress.total = n
        result["complete"] = await engine.run(side, cursor=cursor, filters=filters, max_pages=max_pages,
                                              on_page=page_done, on_total=total, page_size=batch)
    except GaveUp as exc:
        raise CliError(f"{side}: {exc}; run again to resume") from None
    except Exception as exc:  # noqa: BLE001 - every failure is reported in one line; the checkpoint holds
        if not is_retryable(exc):  # e.g. a peer refusing the whole batch: said in one line, the checkpoint holds
            raise CliError(f"{side}: {type(exc).__name__}: {exc}") from None
        raise CliError(f"{side}: cannot reach {client.side} or the database after {RETRIES} attempts ({exc}); "
                       f"run again to resume (with a stale checkpoint, --restart)") from None
    finally:
        progress.close()
    return result


async def cmd_backfill(args: argparse.Namespace) -> int:
    """`talent-gateway backfill`."""
    settings = load_settings()
    state_dir = Path(os.environ.get(STATE_DIR_ENV) or DEFAULT_STATE_DIR)
    store = Checkpoints(state_dir, settings)
    filters = {"updated_after": args.updated_after.isoformat()} if args.updated_after else {}
    sides: tuple[Side, ...] = ("ats", "crm") if args.side == "both" else (args.side,)
    out: dict[str, Any] = {"checkpoint": str(store.path)}
    with store.locked():
        async with gateway_and_database(settings) as (gateway, db):
            engine = Backfill(profiles=gateway.profiles, uow_factory=db.uow_factory, retry=with_retries,
                              is_retryable=is_retryable, pages_at_once=args.concurrency)
            for side in sides:
                out[side] = await backfill_side(engine, side, batch=args.batch, restart=args.restart,
                                                max_pages=args.max_pages, filters=filters, store=store)
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
