"""`talent-gateway replay`: hand a range of one topic partition to the live consumer's handler, through its dedupe
(events the consumer group already applied change nothing)."""
from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections import Counter
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from talentkit.consuming.applying import EventApplier, Step

from sync_gateway.cli.common import (
    CliError,
    gateway_and_database,
    load_settings,
    partitions,
)

COUNTED_AS = {"applied": "applied", "duplicate": "duplicates", "refused": "ignored", "dead_lettered": "dead_lettered"}


class CountingApplier(EventApplier):
    """The live consumer's record handling (parse, drop our own echoes, dedupe on processed events, one
    transaction, retry transient failures, dead-letter poison), counting what became of each record."""

    counts: Counter[str]

    async def _attempt(self, work: Any) -> Step:
        step = await super()._attempt(work)
        if step.outcome is not None:
            self.counts[COUNTED_AS[step.outcome]] += 1
        return step


async def cmd_replay(args: argparse.Namespace) -> int:
    """`talent-gateway replay --topic T --partition P --from-offset FROM [--to-offset TO]`."""
    if args.to_offset is not None and args.to_offset < args.from_offset:
        raise CliError("--to-offset is before --from-offset", code=2)
    settings = load_settings()
    group = settings.consumer_group
    tp = TopicPartition(args.topic, args.partition)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None,
                              enable_auto_commit=False, auto_offset_reset="earliest")
    producer = AIOKafkaProducer(bootstrap_servers=settings.kafka_bootstrap_servers, enable_idempotence=True, acks="all")
    counts: Counter[str] = Counter()
    first = last = None
    async with gateway_and_database(settings) as (gateway, db):
        try:
            admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
            await admin.start()
            try:
                found = await partitions(admin, {args.topic})
            finally:
                await admin.close()
            if args.partition not in found.get(args.topic, []):
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
            consumer = CountingApplier(**gateway.consumer_options(db.sessions, db.uow_factory))
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
    out = {"topic": args.topic, "partition": args.partition, "consumer_group": group, "first_offset": first,
           "last_offset": last, "records": counts["records"], "applied": counts["applied"],
           "duplicates": counts["duplicates"], "ignored": counts["ignored"], "dead_lettered": counts["dead_lettered"]}
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        span = f"offsets {first}..{last}" if first is not None else "no records in that range"
        print(f"replay {args.topic}[{args.partition}] ({span}) as {group}: records {out['records']}: "
              f"applied {out['applied']}, duplicates {out['duplicates']}, dead-lettered {out['dead_lettered']}"
              + (f", ignored {out['ignored']} (the gateway's own echoes)" if out["ignored"] else ""))
    return 0
