"""Per-partition offset tracking: the committable offset is the lowest record not yet finished."""
from __future__ import annotations

from collections import deque


class PartitionOffsets:
    """The records of one partition taken for work; finished ones may complete in any order."""

    def __init__(self) -> None:
        self.taken: deque[int] = deque()  # increasing offsets, oldest first, until finished in order
        self.finished: set[int] = set()
        self.next: int | None = None  # one past the last offset taken

    def take(self, offset: int) -> bool:
        """Track a fetched record; False for an offset already taken (a refetch after a reset)."""
        if self.next is not None and offset < self.next:
            return False
        self.taken.append(offset)
        self.next = offset + 1
        return True

    def finish(self, offset: int) -> None:
        """The record is done for good (applied, duplicate, refused or dead-lettered)."""
        self.finished.add(offset)

    def committable(self) -> int | None:
        """The offset a restart should resume from: the lowest unfinished record, or one past the last taken."""
        while self.taken and self.taken[0] in self.finished:
            self.finished.discard(self.taken.popleft())
        return self.taken[0] if self.taken else self.next

    @property
    def unfinished(self) -> int:
        """Records taken and not finished: what the partition's buffer holds."""
        return len(self.taken) - len(self.finished)
