"""The time rules see: the wall clock in production, one that moves only when told to in tests (waiting
periods, retry backoff, link expiry)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    """Real UTC time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FakeClock:
    """A clock that only moves when told to (`advance`, `set`)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._at = at

    def now(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        self._at = at

    def advance(self, **delta: float) -> datetime:
        self._at += timedelta(**delta)
        return self._at


SYSTEM = SystemClock()


def clock_of(app: Any) -> Clock:
    """The app's clock (`app.state.clock`): the system clock unless a test installed another."""
    return getattr(app.state, "clock", None) or SYSTEM
