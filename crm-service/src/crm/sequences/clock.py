"""The time the scheduler and timing rules see: the wall clock in production, a movable one in tests (the clocks
are talentkit's, shared with the ATS)."""
from __future__ import annotations

from typing import Any

from talentkit.clock import SYSTEM, Clock, FakeClock, SystemClock

__all__ = ["SYSTEM", "Clock", "FakeClock", "SystemClock", "clock_of"]


def clock_of(app: Any) -> Clock:
    """The app's clock (`app.state.crm_clock`), the system clock unless a test installed another."""
    return getattr(app.state, "crm_clock", None) or SYSTEM
