"""The idempotent, parallel consumer: events applied concurrently across keys and in order within a key.

How it works (after Confluent's parallel consumer):
- Every fetched record joins the FIFO queue of its key, `key_of(event)` (default: the Kafka record key). Queues
  are global to the process, across partitions and topics: key application events by their candidate id and one
  person's events run in order whatever topic they come from (in arrival order across topics). At most one event
  per key is in flight; up to `max_in_flight` keys run at once.
- Offsets: per partition, the committed offset is the lowest record not finished yet (applied, duplicate,
  refused or dead-lettered); commits run every `commit_interval` seconds, after `commit_every` completions, on
  revoke and on stop. A crash replays from there, and the processed-events table makes the replay harmless.
- Look-ups: the records of a fetch that were in the partition when this member got it (a previous owner, or this
  process before a restart, may have applied them) are looked up in the processed-events table, one query per
  fetch; records published since are fresh (no one else has fetched them) and cost no query.
- Backpressure: at most `max_buffered_per_partition` unfinished records per partition and `max_buffered` in all;
  a full partition is paused and resumed once half drained.
- Rebalance: revoked partitions take no new work; their in-flight events get `revoke_timeout` seconds to finish
  (then they are cancelled: a transaction rolls back), their offsets are committed and their queued records
  dropped for the next owner. The same on stop (`stop_timeout`).
- Failures: an error `is_transient` says is temporary (default: `TransientError`) retries that key with
  exponential backoff and jitter while every other key goes on; after `max_attempts` failed attempts the event
  is parked: dead-lettered like a poison event, and the key goes on with its next event. A poison event (any
  other error, or an unreadable record) is dead-lettered at once: the record unchanged on `dlq.<group>` with the
  error in `dlq_*` headers, then `on_dead_letter(record, error, attempts)` (e.g. keep a replayable copy).
- Outage: an error `is_outage` says means the peer is down (default: none; a lost database connection always
  counts). Then all work waits, nothing counts toward parking, and the held events take turns as a probe with
  backoff until one gets through; then everything resumes. An event that hits the outage error again after the
  peer has served others since its last such failure is treated as transient (so one bad record cannot stall all).

Handler contract. Give exactly one of:
- `handler(session, event)`: the in-transaction style. The consumer opens a transaction, claims the
  processed-events row (a duplicate stops there), calls the handler and commits. Simple, but the transaction (and
  a pooled connection) is held across whatever the handler awaits, HTTP calls included.
- `handle(event) -> Effects | None`: the two-phase style. The consumer skips the event if its processed-events
  row exists (the fetch's look-up, above); otherwise the handler does its reads and HTTP calls with no transaction open and
  returns `effects(session)`, the database writes (or `Folded` rows: then one statement, no transaction, see
  `talentkit.consuming.grouping`), which the consumer runs in one short transaction together
  with the processed-events insert (ON CONFLICT DO NOTHING: if the row exists, e.g. another member applied the
  event meanwhile, the effects are not run and the event counts as a duplicate). `None` means "nothing to
  write": the row is inserted later in a batch with others. The handler's external writes must be idempotent,
  because a crash after them and before the commit repeats them: derive idempotency keys from the event id.
- `wants(event) -> bool` (optional, both styles) runs before any database access: an event it refuses (e.g. an
  echo of our own write) is finished without a row, as it changes nothing.
Handlers raise to fail an attempt; what they raise decides between retry, park, outage and dead letter above.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from aiokafka import (
    AIOKafkaConsumer,
    AIOKafkaProducer,
    ConsumerRebalanceListener,
    TopicPartition,
)
from shared_schemas.envelope import EventEnvelope
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from talentkit import background
from talentkit.consuming.applying import (
    DeadLetterSink,
    Effects,
    EventApplier,
    Handler,
    Step,
    TransientError,
    TwoPhaseHandler,
    database_unreachable,
)
from talentkit.consuming.offsets import PartitionOffsets
from talentkit.consuming.queues import KeyedQueues, Work
from talentkit.db import PlatformTables
from talentkit.kafka import ensure_topics
from talentkit.metrics import (
    CONSUMER_BUFFERED,
    CONSUMER_CIRCUIT_OPEN,
    CONSUMER_IN_FLIGHT,
    CONSUMER_LAG,
    CONSUMER_PAUSED_PARTITIONS,
    CONSUMER_RETRIES,
)
from talentkit.sealing import Unsealer

__all__ = ["DeadLetterSink", "Effects", "EventConsumer", "Handler", "TransientError", "TwoPhaseHandler",
           "database_unreachable"]
log = logging.getLogger("talentkit.consumer")


IDLE_REPORT_SECONDS = 5.0  # how often an idle consumer refreshes its gauges (in flight, buffered, lag)


class EventConsumer(EventApplier):
    """Consume topics with a consumer group; each event applied at most once, in order per key, keys in parallel."""

    def __init__(self, *, group: str, topics: tuple[str, ...], bootstrap: str,
                 sessions: async_sessionmaker[AsyncSession], tables: PlatformTables,
                 handler: Handler | None = None, handle: TwoPhaseHandler | None = None,
                 key_of: Callable[[EventEnvelope], str | None] | None = None,
                 wants: Callable[[EventEnvelope], bool] | None = None,
                 is_transient: Callable[[BaseException], bool] = lambda e: isinstance(e, TransientError),
                 is_outage: Callable[[BaseException], bool] = lambda e: False,
                 max_in_flight: int = 64, max_attempts: int = 8, base_backoff: float = 0.2, max_backoff: float = 30.0,
                 max_buffered_per_partition: int = 500, max_buffered: int = 5000,
                 commit_interval: float = 0.2, commit_every: int = 500,
                 revoke_timeout: float = 10.0, stop_timeout: float = 5.0, partitions: int | None = None,
                 on_dead_letter: DeadLetterSink | None = None, unsealer: Unsealer | None = None) -> None:
        super().__init__(group=group, sessions=sessions, tables=tables, handler=handler, handle=handle,
                         key_of=key_of, wants=wants, is_transient=is_transient, is_outage=is_outage,
                         max_attempts=max_attempts, base_backoff=base_backoff, max_backoff=max_backoff,
                         on_dead_letter=on_dead_letter, unsealer=unsealer)
        self.topics, self.bootstrap, self.max_in_flight = topics, bootstrap, max_in_flight
        self.max_per_partition, self.max_buffered = max_buffered_per_partition, max_buffered
        self.commit_interval, self.commit_every = commit_interval, commit_every
        self.revoke_timeout, self.stop_timeout, self.partitions = revoke_timeout, stop_timeout, partitions
        self.consumer: AIOKafkaConsumer | None = None
        self._reset()

    def _reset(self) -> None:
        self._forget()
        self._queues = KeyedQueues()
        self._offsets: dict[TopicPartition, PartitionOffsets] = {}
        self._fresh_from: dict[TopicPartition, int] = {}  # per partition: the first offset no one else can have seen
        self._committed: dict[TopicPartition, int] = {}
        self._running: set[Work] = set()
        self._buffered = 0
        self._completions = 0
        self._probe_timer: asyncio.TimerHandle | None = None
        self._rebalancing = False
        self._generation = 0  # counts revokes: a batch fetched before one is not ours to take any more
        self._stopping = False
        self._commit_wanted = asyncio.Event()
        self._finished_some = asyncio.Event()  # a record finished since the last commit: one is owed
        self._commit_lock = asyncio.Lock()
        self._failure: asyncio.Future[None] | None = None
        CONSUMER_CIRCUIT_OPEN.labels(self.group).set(0)

    # --- the Kafka side ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        """Consume until cancelled (then finish in-flight events, bounded, and commit); restart after a failure."""
        while True:
            try:
                await self._consume()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("consumer crashed; restarting", extra={"consumer": self.group})
                await background.sleep(1)
            finally:
                await self._close()

    async def _consume(self) -> None:
        self._reset()  # nothing carries over from a previous run (not even a revoke seen while closing)
        await ensure_topics(self.bootstrap, (*self.topics, self.dlq_topic), self.partitions)
        self.producer = AIOKafkaProducer(bootstrap_servers=self.bootstrap, enable_idempotence=True, acks="all")
        await self.producer.start()
        self.consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, group_id=self.group,
                                         enable_auto_commit=False, auto_offset_reset="earliest",
                                         max_poll_interval_ms=600_000,
                                         # a crashed member is noticed after 6 s (the broker's minimum), not 10
                                         session_timeout_ms=6000, heartbeat_interval_ms=2000,
                                         # an idle consumer asks Kafka once a second (the broker answers at once
                                         # when records arrive): the default 0.5 s doubled an idle gateway's CPU
                                         fetch_max_wait_ms=1000)
        await self.consumer.start()
        self.consumer.subscribe(topics=list(self.topics), listener=_Rebalance(self))
        log.info("consumer started", extra={"consumer": self.group, "topics": list(self.topics)})
        self._failure = asyncio.get_running_loop().create_future()
        tasks = [asyncio.create_task(self._fetch_loop()), asyncio.create_task(self._commit_loop())]
        try:
            done, _ = await asyncio.wait([*tasks, self._failure], return_when=asyncio.FIRST_COMPLETED)
            for finished in done:
                finished.result()  # re-raise what stopped it
        finally:
            tasks[0].cancel()
            await asyncio.gather(tasks[0], return_exceptions=True)
            await self._drain(self.stop_timeout)
            with contextlib.suppress(Exception):  # a broker that is away must not hold the shutdown up
                await asyncio.wait_for(self._commit(), self.stop_timeout)
            tasks[1].cancel()
            await asyncio.gather(tasks[1], return_exceptions=True)
            self._reset()

    async def _fetch_loop(self) -> None:
        assert self.consumer is not None
        while True:
            # records return at once; the timeout only paces an idle loop (completions dispatch on their own)
            batches = await self.consumer.getmany(timeout_ms=1000, max_records=500)
            generation = self._generation
            works = {tp: [self._work(r) for r in records] for tp, records in batches.items()}
            if not self._rebalancing:
                self._note_fresh(works)
            await self._look_up((w for batch in works.values() for w in batch), fresh=self._fresh)
            for tp, batch in works.items():
                if self._rebalancing or generation != self._generation:
                    continue  # not committed, so the partition's next owner (maybe us) fetches them again
                offsets = self._offsets.setdefault(tp, PartitionOffsets())
                for work in batch:
                    if offsets.take(work.record.offset):
                        self._queues.push(work)
                        self._buffered += 1
            self._flow_control()
            self._dispatch()

    def _note_fresh(self, works: dict[TopicPartition, list[Work]]) -> None:
        """On a partition's first fetch since it was assigned to us, note where its fresh records begin: the high
        watermark of that fetch. Only records below it existed when we got the partition (a previous owner, or
        this process before a restart, may have applied them: they are looked up in the processed-events table);
        a record above it was published since, and only we have fetched it."""
        assert self.consumer is not None
        assigned = self.consumer.assignment()
        for tp, batch in works.items():
            if tp not in self._fresh_from and tp in assigned and batch:
                highwater = self.consumer.highwater(tp)
                self._fresh_from[tp] = max(highwater or 0, batch[-1].record.offset + 1)

    def _fresh(self, work: Work) -> bool:
        start = self._fresh_from.get(work.tp)
        return start is not None and work.record.offset >= start

    async def _commit_loop(self) -> None:
        failing = False
        while True:
            # Idle, the loop sleeps until a record finishes (only reporting its gauges now and then); the commit
            # then follows within `commit_interval` (at once after `commit_every` completions). It woke 5 times a
            # second for nothing before: a good part of an idle gateway's CPU.
            await background.wait_until_set(self._finished_some, IDLE_REPORT_SECONDS)
            await background.wait_until_set(self._commit_wanted, self.commit_interval)
            self._commit_wanted.clear()
            self._finished_some.clear()
            self._completions = 0
            try:
                await self._commit()
                failing = False
            except Exception as exc:  # noqa: BLE001 - the broker or the database is away: try next tick
                if not failing:
                    log.warning("offset commit failed; retrying", extra={"consumer": self.group, "error": repr(exc)})
                failing = True
                self._finished_some.set()  # still owed
            self._flow_control()
            self._report()

    async def _commit(self, only: set[TopicPartition] | None = None) -> None:
        """Commit each partition at its lowest unfinished record (after writing batched processed-events rows)."""
        async with self._commit_lock:
            if self.consumer is None:
                return
            assigned = self.consumer.assignment()
            offsets = {}
            for tp, state in self._offsets.items():
                at = state.committable()
                if (only is None or tp in only) and tp in assigned and at is not None and at != self._committed.get(tp):
                    offsets[tp] = at
            await self._flush_noops()
            if offsets:
                await self.consumer.commit(offsets)
                self._committed.update(offsets)

    def _flow_control(self) -> None:
        """Pause partitions whose buffer is full (or all when the total is); resume them when half drained."""
        if self.consumer is None or self._rebalancing:
            return
        paused = self.consumer.paused()
        full, drained = self._buffered >= self.max_buffered, self._buffered <= self.max_buffered // 2
        pause, resume = [], []
        for tp in self.consumer.assignment():
            state = self._offsets.get(tp)
            waiting = state.unfinished if state else 0
            if tp in paused:
                if drained and waiting <= self.max_per_partition // 2:
                    resume.append(tp)
            elif full or waiting >= self.max_per_partition:
                pause.append(tp)
        if pause:
            self.consumer.pause(*pause)
        if resume:
            self.consumer.resume(*resume)
        CONSUMER_PAUSED_PARTITIONS.labels(self.group).set(len(paused) + len(pause) - len(resume))

    def _report(self) -> None:
        CONSUMER_IN_FLIGHT.labels(self.group).set(len(self._running))
        CONSUMER_BUFFERED.labels(self.group).set(self._buffered)
        if self.consumer is None:
            return
        for tp, state in self._offsets.items():
            highwater, at = self.consumer.highwater(tp), state.committable()
            if highwater is not None and at is not None:
                CONSUMER_LAG.labels(self.group, tp.topic, str(tp.partition)).set(max(highwater - at, 0))

    async def _revoked(self, revoked: set[TopicPartition]) -> None:
        """Stop taking work from `revoked`, let their in-flight events finish (bounded), commit, drop the rest."""
        self._rebalancing = True
        self._generation += 1
        if not revoked:
            return

        def doomed(work: Work) -> bool:
            return work.tp in revoked
        self._drop(doomed)
        running = [w.task for w in self._running if doomed(w) and w.task is not None]
        if running:
            _, late = await asyncio.wait(running, timeout=self.revoke_timeout)
            for task in late:
                task.cancel()
            if late:
                log.warning("in-flight events cancelled on revoke", extra={"consumer": self.group, "count": len(late)})
                await asyncio.gather(*late, return_exceptions=True)
        self._drop(doomed)  # what failed meanwhile and waits for a retry
        self._seen_at_fetch.clear()  # the hints of dropped events would linger; the others ask for themselves
        self._new_at_fetch.clear()
        try:
            await asyncio.wait_for(self._commit(only=revoked), self.revoke_timeout)
        except Exception as exc:  # noqa: BLE001 - the next owner replays from the last commit: no loss
            log.warning("commit on revoke failed", extra={"consumer": self.group, "error": repr(exc)})
        for tp in revoked:
            self._offsets.pop(tp, None)
            self._fresh_from.pop(tp, None)
            self._committed.pop(tp, None)
            with contextlib.suppress(KeyError):
                CONSUMER_LAG.remove(self.group, tp.topic, str(tp.partition))
        log.info("partitions revoked", extra={"consumer": self.group, "partitions": len(revoked)})

    def _assigned(self, assigned: set[TopicPartition]) -> None:
        self._rebalancing = False
        log.info("partitions assigned", extra={"consumer": self.group, "partitions": len(assigned)})

    def _drop(self, doomed: Callable[[Work], bool]) -> None:
        for work in self._queues.drop(doomed):
            if work.timer is not None:
                work.timer.cancel()
            self._buffered -= 1
        self.circuit.discard(doomed)
        if self.circuit.open and not self.circuit.held and self.circuit.probing is None:
            self._close_circuit()

    async def _drain(self, timeout: float) -> None:
        """Stop starting work; give in-flight events `timeout` seconds, then cancel them."""
        self._stopping = True
        for work in self._queues.clear():
            if work.timer is not None:
                work.timer.cancel()
        if self._probe_timer is not None:
            self._probe_timer.cancel()
        running = [w.task for w in self._running if w.task is not None]
        if running:
            _, late = await asyncio.wait(running, timeout=timeout)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _close(self) -> None:
        for client in (self.consumer, self.producer):
            if client is not None:
                try:
                    await client.stop()
                except Exception:
                    log.warning("kafka client stop failed", exc_info=True)
        self.consumer = self.producer = None
        background.raise_if_cancelled()  # stop() swallows a cancel that arrives while it closes

    # --- scheduling -------------------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        if self._stopping or self.circuit.open:
            return
        while len(self._running) < self.max_in_flight:
            work = self._queues.pop_ready()
            if work is None:
                return
            self._start(work)

    def _start(self, work: Work) -> None:
        work.state = "running"
        self._running.add(work)
        work.task = asyncio.create_task(self._run(work))

    async def _run(self, work: Work) -> None:
        try:
            self._settle(work, await self._attempt(work))
        except asyncio.CancelledError:
            self._abandon(work)
            raise
        except Exception as exc:  # a bug here, not in the handler: restart the consumer rather than stall a key
            log.exception("consumer bookkeeping failed", extra={"consumer": self.group})
            self._abandon(work)
            if self._failure is not None and not self._failure.done():
                self._failure.set_exception(exc)

    def _settle(self, work: Work, step: Step) -> None:
        self._running.discard(work)
        probe = self.circuit.probing is work
        if probe:
            self.circuit.probing = None
        if step.outcome is not None:
            self._finish(work)
        elif self._stopping:
            return
        elif step.outage:
            CONSUMER_RETRIES.labels(self.group, "outage").inc()
            if probe:
                self.circuit.failed_probes += 1
            if self.circuit.hold(work):
                log.warning("peer outage: holding all work until a probe gets through",
                            extra={"consumer": self.group, "event_id": work.event.id if work.event else None})
                CONSUMER_CIRCUIT_OPEN.labels(self.group).set(1)
            self._schedule_probe()
        else:
            CONSUMER_RETRIES.labels(self.group, "transient").inc()
            work.state = "waiting"
            work.timer = asyncio.get_running_loop().call_later(step.retry_in or 0, self._retry_due, work)
        if probe and not step.outage:
            self._close_circuit()  # the peer answered
        self._dispatch()

    def _finish(self, work: Work) -> None:
        state = self._offsets.get(work.tp)
        if state is not None:
            state.finish(work.record.offset)
        self._queues.remove(work)
        self._buffered -= 1
        self._completions += 1
        self._finished_some.set()
        if self._completions >= self.commit_every:
            self._commit_wanted.set()

    def _abandon(self, work: Work) -> None:
        """Cancelled or broken: not finished, so the offset stays and the record is replayed."""
        self._running.discard(work)
        self._queues.remove(work)
        self._buffered -= 1
        if self.circuit.probing is work:
            self.circuit.probing = None
            self._schedule_probe()

    def _retry_due(self, work: Work) -> None:
        work.timer = None
        if work.state == "waiting":
            self._queues.requeue(work)
            self._dispatch()

    def _schedule_probe(self) -> None:
        if self.circuit.open and self._probe_timer is None and not self._stopping:
            self._probe_timer = asyncio.get_running_loop().call_later(self.circuit.probe_delay(), self._probe)

    def _probe(self) -> None:
        self._probe_timer = None
        if not self.circuit.open or self._stopping or self.circuit.probing is not None:
            return
        work = self.circuit.next_probe()
        if work is None:
            self._close_circuit()
            self._dispatch()
            return
        log.info("probing the peer", extra={"consumer": self.group, "event_id": work.event.id if work.event else None})
        self._start(work)

    def _close_circuit(self) -> None:
        if not self.circuit.open:
            return
        held = self.circuit.close()
        for work in held:
            self._queues.requeue(work)
        if self._probe_timer is not None:
            self._probe_timer.cancel()
            self._probe_timer = None
        CONSUMER_CIRCUIT_OPEN.labels(self.group).set(0)
        log.info("peer back: resuming all work", extra={"consumer": self.group, "held": len(held)})

class _Rebalance(ConsumerRebalanceListener):
    """Hands revoked and assigned partitions to the consumer (Kafka waits for the revoke to finish)."""

    def __init__(self, consumer: EventConsumer) -> None:
        self.consumer = consumer

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:  # type: ignore[override]
        await self.consumer._revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:  # type: ignore[override]
        self.consumer._assigned(set(assigned))
