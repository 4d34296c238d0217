"""Fan-out: both systems' events from Kafka → one pending delivery per matching enabled endpoint.

Cheap by construction: a consumer group of its own reads a batch of records, matches them against the enabled
endpoints (one query per batch), inserts the deliveries in one transaction and commits the offsets after it.
No per-event transaction, no processed-events row: the (endpoint, event) unique key makes a re-read harmless.
While no endpoint is enabled it pauses its partitions and fetches nothing (see `FanOut._wake`)."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from shared_schemas.envelope import EventEnvelope, InvalidEvent
from shared_schemas.topics import ALL_TOPICS
from talentkit import background
from talentkit.kafka import ensure_topics
from talentkit.uow import UnitOfWorkFactory

from sync_gateway.webhooks import filters, metrics, repository
from sync_gateway.webhooks.config import WebhookSettings
from sync_gateway.webhooks.delivery import render_body

log = logging.getLogger("sync_gateway.webhooks")
COMMIT_SECONDS = 1.0  # how often the fan-out commits its offsets while records come
IDLE_SKIP_SECONDS = 5.0  # how often an idle fan-out moves its offsets to where the partitions ended one period before
PERSON_KEYS = ("candidate_id", "prospect_id", "survivor_id", "merged_id")
PERSON_SNAPSHOTS = ("candidate", "prospect")
PERSON_TYPES = ("ats.candidate.", "crm.prospect.")  # their subject is the person's id


def person_ids(event: EventEnvelope) -> list[str]:
    """The candidate and prospect ids an event is about, so an erasure can find the deliveries that carry them."""
    ids = {str(event.data[k]) for k in PERSON_KEYS if event.data.get(k)}
    for name in PERSON_SNAPSHOTS:
        snapshot = event.data.get(name)
        if isinstance(snapshot, dict) and snapshot.get("id"):
            ids.add(str(snapshot["id"]))
    if event.type.startswith(PERSON_TYPES):
        ids.add(event.subject)
    return sorted(ids)


def deliveries_for(events: Iterable[tuple[EventEnvelope, datetime]], endpoints: Sequence[Any],
                   now: datetime) -> list[dict[str, Any]]:
    """Rows for every (enabled endpoint whose filter matches, event), given each event with the time it reached
    Kafka. An endpoint receives the events published after it was created, never the history before it: the
    event's own `time` cannot decide that, as a sync client may set it (`source_time`) to any moment, even later
    than today, and a new endpoint would then be sent old events."""
    rows = []
    for event, published_at in events:
        targets = [e.id for e in endpoints if e.created_at <= published_at and filters.matches(e.event_types, event.type)]
        if not targets:
            continue
        body, people = render_body(event.type, event.time, event.data), person_ids(event)
        rows += [{"endpoint_id": t, "event_id": event.id, "event_type": event.type, "body": body, "person_ids": people,
                  "status": "pending", "attempt_count": 0, "retry_step": 0, "next_attempt_at": now} for t in targets]
    return rows


def _event(record: ConsumerRecord) -> tuple[EventEnvelope, datetime] | None:
    """The record's event and when it reached Kafka (the record's timestamp; the event's time if it has none)."""
    try:
        event = EventEnvelope.from_kafka(record.headers, record.value)
    except InvalidEvent:
        return None  # not a CloudEvent: nothing to send (the sync consumer dead-letters what it reads)
    if record.timestamp is None or record.timestamp < 0:
        return event, event.time
    return event, datetime.fromtimestamp(record.timestamp / 1000, UTC)


class FanOut:
    """Consumes every topic of both systems with its own group and queues deliveries, a batch at a time."""

    def __init__(self, uows: UnitOfWorkFactory, bootstrap: str, settings: WebhookSettings,
                 topics: tuple[str, ...] = ALL_TOPICS) -> None:
        self.uows, self.bootstrap, self.settings, self.topics = uows, bootstrap, settings, topics
        self.batches = 0
        self.idle = False  # no endpoint was enabled at the last batch: Kafka is not read until one is
        self.consumer: AIOKafkaConsumer | None = None  # while running
        self._ends: dict[TopicPartition, int] = {}  # the partitions' ends at the idle fan-out's last look-up
        self._skipped = False  # the last skip moved the offsets

    async def run(self) -> None:
        """Fan out until cancelled; restart the consumer after a failure (uncommitted records are read again)."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook fan-out failed; restarting")
                await background.sleep(1)

    async def _consume(self) -> None:
        await ensure_topics(self.bootstrap, self.topics)
        consumer = AIOKafkaConsumer(*self.topics, bootstrap_servers=self.bootstrap, group_id=self.settings.consumer_group,
                                    enable_auto_commit=False, auto_offset_reset="earliest",
                                    session_timeout_ms=6000, heartbeat_interval_ms=2000,
                                    # the broker answers a fetch as soon as records arrive; an idle fan-out asks
                                    # every 2 s instead of every 0.5 s (a partition is paused only while no
                                    # endpoint is enabled, and then nothing is waiting for it)
                                    fetch_max_wait_ms=2000)
        self.consumer = consumer
        # Offsets are committed at most once a second (and when stopping), not after every batch: a commit is a
        # broker write of its own, and what a restart reads again is queued once (deliveries are unique per
        # endpoint and event).
        done: dict[TopicPartition, int] = {}
        clock = asyncio.get_running_loop().time
        committed_at = skipped_at = clock()
        try:
            await consumer.start()  # inside: cancelled while joining, it must still leave the group
            while True:
                background.raise_if_cancelled()
                skip = self.idle and clock() - skipped_at >= IDLE_SKIP_SECONDS
                if self.idle and not await self._wake(consumer, skip=skip):
                    consumer.pause(*consumer.assignment())  # again after a rebalance: no fetch, getmany waits 1 s
                    if skip:
                        skipped_at = clock()
                        if self._skipped:
                            done = {}  # what was read before is behind the offsets skipped to
                batches = await consumer.getmany(timeout_ms=1000, max_records=self.settings.fanout_batch)
                if batches:
                    await self.queue([r for records in batches.values() for r in records])
                    done |= {tp: records[-1].offset + 1 for tp, records in batches.items()}
                if done and clock() - committed_at >= COMMIT_SECONDS:
                    await consumer.commit(done)
                    done, committed_at = {}, clock()
        finally:
            if done:
                with contextlib.suppress(Exception):  # best effort: what is not committed is queued again, once
                    await consumer.commit(done)
            await consumer.stop()

    async def _wake(self, consumer: AIOKafkaConsumer, *, skip: bool = False) -> bool:
        """While no endpoint is enabled the fan-out's partitions stay paused: it fetches nothing, so the sync's
        records cost it nothing (it still calls `getmany`, once a second, to stay in its group). With `skip` it
        also moves its position and committed offsets to where the partitions ended at the previous skip (5 s
        before), so its group shows no lag for records owed to nobody and a restart does not read them. Every
        record skipped was published before two look-ups that found no endpoint enabled, the later one at least
        5 s after it; an endpoint's `created_at` is its transaction's start, so only an endpoint whose creating
        transaction stayed open that long could be owed one (a disabled endpoint is owed nothing). Once one
        is enabled, each partition moves forward to the first record published after the oldest enabled
        endpoint was created (what was published before is owed to nobody) and reading resumes; the match on
        publication time (`deliveries_for`) still decides every record after that. False while none is
        enabled."""
        assigned = consumer.assignment()
        ends = await consumer.end_offsets(list(assigned)) if skip and assigned else {}
        async with self.uows() as uow:
            endpoints = await repository.enabled_endpoints(uow.session)
        self._skipped = False
        if not endpoints:
            if skip:
                earlier = {tp: end for tp, end in self._ends.items() if tp in assigned}
                for tp, end in earlier.items():
                    consumer.seek(tp, max(end, await consumer.position(tp)))
                if earlier:
                    await consumer.commit({tp: await consumer.position(tp) for tp in earlier})
                    self._skipped = True
                self._ends = ends
            return False
        self._ends = {}
        since = int(min(e.created_at for e in endpoints).timestamp() * 1000)
        assigned = consumer.assignment()
        if assigned:
            found = await consumer.offsets_for_times(dict.fromkeys(assigned, since))
            ends = await consumer.end_offsets(list(assigned))
            for tp in assigned:
                target = found[tp].offset if found.get(tp) is not None else ends[tp]
                if target > await consumer.position(tp):
                    consumer.seek(tp, target)
            consumer.resume(*assigned)
        self.idle = False
        return True

    async def queue(self, records: list[ConsumerRecord]) -> int:
        """Turn records into deliveries in one transaction; returns how many were new. With no endpoint enabled
        the records are not even parsed: every one was published before this read, so before any endpoint that
        is created later, and none of them will ever be owed to it."""
        async with self.uows() as uow:
            endpoints = await repository.enabled_endpoints(uow.session)
            if not endpoints:
                self.idle = True
                return 0
            events = [e for e in map(_event, records) if e is not None]
            if not events:
                return 0
            new = await repository.queue(uow.session, deliveries_for(events, endpoints, datetime.now(UTC)))
            await uow.commit()
        self.batches += 1
        metrics.QUEUED.inc(new)
        return new
