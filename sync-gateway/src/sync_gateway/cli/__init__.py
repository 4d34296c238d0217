"""Operations CLI of the sync gateway: `talent-gateway <command>` or `python -m sync_gateway <command>`.

Every command reads the service's own settings and environment (`GATEWAY_DATABASE_URL`, `GATEWAY_ATS_URL`,
`GATEWAY_CRM_URL`, `GATEWAY_CONSUMER_GROUP`, `KAFKA_BOOTSTRAP_SERVERS`, `TALENT_GATEWAY_API_KEY`) and works with
the gateway's parts from the composition root (`sync_gateway.container`), so what it writes is exactly what the
live consumer would have written:

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
import logging
import sys
import uuid
from datetime import datetime

from sync_gateway.cli.backfill import DEFAULT_STATE_DIR, STATE_DIR_ENV, cmd_backfill
from sync_gateway.cli.common import CliError
from sync_gateway.cli.lag import cmd_lag
from sync_gateway.cli.replay import cmd_replay
from sync_gateway.cli.resync import cmd_resync
from sync_gateway.webhooks import workers as webhooks


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


def _concurrency(value: str) -> int:
    number = _positive(value)
    if number > 16:
        raise argparse.ArgumentTypeError("at most 16")
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
                            "its email, or create the prospect (a batch per page); re-apply the policy both ways to linked "
                            "people. Re-running is harmless (idempotency keys per person; links exist). Resumes from the "
                            f"checkpoint in ${STATE_DIR_ENV} (default {DEFAULT_STATE_DIR}/) unless --restart. A progress "
                            "bar on a terminal, a progress line every 2 seconds otherwise.")
    p.add_argument("--side", choices=("ats", "crm", "both"), default="both",
                   help="ats: candidates (link or create, re-sync linked); crm: re-sync linked prospects; both (default)")
    p.add_argument("--batch", type=_batch, default=200, help="records per page (1-200, default 200)")
    # 8: with 3 the CRM waited between batches (703 people/s over 30,000 on 2 cores); 6 gave 892/s, 10 996/s
    p.add_argument("--concurrency", type=_concurrency, default=8,
                   help="pages in hand at once (1-16, default 8): one is read while others are written")
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

