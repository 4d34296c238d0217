"""Per-key FIFO work queues: a key's oldest event runs alone; keys take turns in the order they became ready."""
from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from aiokafka import ConsumerRecord, TopicPartition
from shared_schemas.envelope import EventEnvelope, InvalidEvent

State = Literal["queued", "running", "waiting", "blocked"]


@dataclass(eq=False)
class Work:
    """One fetched record on its way through the consumer."""

    record: ConsumerRecord
    key: str
    event: EventEnvelope | None
    invalid: InvalidEvent | None = None
    wanted: bool | None = None  # what `wants(event)` said at fetch (None: not asked yet, or it raised)
    attempts: int = 0  # failed attempts that count toward parking
    outage_epoch: int | None = None  # the circuit's epoch at this event's last outage failure
    state: State = "queued"  # queued: may start; waiting: backing off; blocked: waiting for the circuit
    task: asyncio.Task[None] | None = None
    timer: asyncio.TimerHandle | None = None

    @property
    def tp(self) -> TopicPartition:
        return TopicPartition(self.record.topic, self.record.partition)


class KeyedQueues:
    """Every key's events in arrival order; only a key's head is ever worked on."""

    def __init__(self) -> None:
        self.queues: dict[str, deque[Work]] = {}
        self.ready: deque[str] = deque()  # keys whose head is queued (may hold stale entries; checked on pop)

    def push(self, work: Work) -> None:
        """Append to the key's queue; a key that was idle becomes ready."""
        queue = self.queues.setdefault(work.key, deque())
        queue.append(work)
        if len(queue) == 1:
            self.ready.append(work.key)

    def pop_ready(self) -> Work | None:
        """The head of the next ready key, or None."""
        while self.ready:
            queue = self.queues.get(self.ready.popleft())
            if queue and queue[0].state == "queued":
                return queue[0]
        return None

    def requeue(self, work: Work) -> None:
        """A waiting or blocked head may start again."""
        queue = self.queues.get(work.key)
        if queue and queue[0] is work and work.state != "running":
            work.state = "queued"
            self.ready.append(work.key)

    def remove(self, work: Work) -> None:
        """Take a key's head off (finished or abandoned); its next event becomes ready."""
        queue = self.queues.get(work.key)
        if not queue or queue[0] is not work:
            return
        queue.popleft()
        if queue:
            queue[0].state = "queued"
            self.ready.append(work.key)
        else:
            del self.queues[work.key]

    def drop(self, doomed: Callable[[Work], bool]) -> list[Work]:
        """Remove every event not running that `doomed` picks (e.g. of revoked partitions); return them."""
        dropped: list[Work] = []
        for key in list(self.queues):
            queue = self.queues[key]
            head = queue[0]
            kept = deque(w for w in queue if w.state == "running" or not doomed(w))
            dropped += [w for w in queue if w.state != "running" and doomed(w)]
            if not kept:
                del self.queues[key]
            else:
                self.queues[key] = kept
                if kept[0] is not head:
                    kept[0].state = "queued"
                    self.ready.append(key)
        return dropped

    def clear(self) -> list[Work]:
        """Forget everything; return what was queued."""
        everything = [w for queue in self.queues.values() for w in queue]
        self.queues.clear()
        self.ready.clear()
        return everything
