"""The outage circuit: while a peer is down, all work waits and one probe at a time checks whether it is back."""
from __future__ import annotations

import random
from collections import deque
from collections.abc import Callable

from talentkit.consuming.queues import Work


class Circuit:
    """Closed: work flows. Open: new work waits; the held events take turns as the probe, with growing backoff,
    until one gets through. Each close starts a new epoch (an event that hits the same outage error again after
    the peer served others is retried like any transient failure, so one bad record cannot stall everyone)."""

    def __init__(self, base_delay: float, max_delay: float) -> None:
        self.base_delay, self.max_delay = base_delay, max_delay
        self.open = False
        self.epoch = 0
        self.held: deque[Work] = deque()
        self.probing: Work | None = None
        self.failed_probes = 0

    def hold(self, work: Work) -> bool:
        """Park `work` until the peer is back; True when this opened the circuit."""
        work.state = "blocked"
        self.held.append(work)  # a failed probe goes to the back: the next probe is another event
        opened, self.open = not self.open, True
        if opened:
            self.failed_probes = 0
        return opened

    def next_probe(self) -> Work | None:
        """The event to try next, or None when nothing is held."""
        if self.probing is None and self.held:
            self.probing = self.held.popleft()
        return self.probing

    def probe_delay(self) -> float:
        """Exponential backoff with jitter between probes."""
        return min(self.max_delay, self.base_delay * 2 ** min(self.failed_probes, 16)) * (0.5 + random.random() / 2)

    def close(self) -> list[Work]:
        """The peer answered: return every held event (no attempt counted against them)."""
        held = list(self.held)
        self.held.clear()
        self.open, self.probing = False, None
        self.epoch += 1
        return held

    def discard(self, doomed: Callable[[Work], bool]) -> None:
        """Forget held events that `doomed` picks (their partition was revoked)."""
        self.held = deque(w for w in self.held if not doomed(w))
