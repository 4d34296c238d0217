"""`talent-gateway lag`: committed offset, log end offset and lag of a consumer group, per topic partition."""
from __future__ import annotations

import argparse
import contextlib
import json

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from sync_gateway.cli.common import load_settings, partitions
from sync_gateway.consumers.handler import TOPICS


async def cmd_lag(args: argparse.Namespace) -> int:
    """`talent-gateway lag [--group G] [--topic T ...]`."""

    settings = load_settings()
    group = args.group or settings.consumer_group
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers)
    reader = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap_servers, group_id=None, enable_auto_commit=False)
    try:
        await admin.start()
        await reader.start()
        committed = await admin.list_consumer_group_offsets(group)
        topics = {tp.topic for tp in committed} | set(args.topic or ())
        if group == settings.consumer_group and not args.topic:
            topics |= set(TOPICS)  # the topics the gateway's consumer subscribes to
        found = await partitions(admin, topics)
        tps = [TopicPartition(t, p) for t in sorted(found) for p in found[t]]
        missing = sorted(topics - set(found))
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
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))))
    print(f"total lag {sum(r['lag'] for r in rows)}")
    for topic in missing:
        print(f"(topic {topic} does not exist yet)")
    return 0
