"""When a step is due: pure functions over delays (days or business days), holidays, send windows and time zones.

Delays count in the recipient's local calendar: "2 days" keeps the local wall time across a DST change, and the
result is then pushed into the next open send window (a holiday or a day outside the window is never open)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class SendWindow:
    """Local hours [start, end) on the given weekdays (0 = Monday)."""

    start: time = time(9)
    end: time = time(17)
    days: frozenset[int] = field(default_factory=lambda: frozenset(range(5)))

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> SendWindow:
        days = cast(Collection[object], raw.get("days") or WEEKDAYS[:5])  # a JSON list of day names
        return cls(time.fromisoformat(str(raw.get("start", "09:00"))), time.fromisoformat(str(raw.get("end", "17:00"))),
                   frozenset(WEEKDAYS.index(str(d)) for d in days))


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The instant a local wall clock shows `wall` on `day`; a time skipped by DST moves forward by the gap."""
    naive = datetime.combine(day, wall)
    aware = naive.replace(tzinfo=tz)
    back = aware.astimezone(UTC).astimezone(tz)
    return back if back.replace(tzinfo=None) != naive else aware


def add_business_days(day: date, n: int, holidays: Collection[date]) -> date:
    """`day` plus `n` working days (Monday to Friday, not a holiday)."""
    while n > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            n -= 1
    return day


def next_open(at: datetime, window: SendWindow, tz: ZoneInfo, holidays: Collection[date] = ()) -> datetime:
    """The earliest instant >= `at` inside the send window (in `tz`), skipping closed days and holidays."""
    local = at.astimezone(tz)
    day = local.date()
    for _ in range(400):
        if day.weekday() in window.days and day not in holidays:
            opens, closes = local_instant(day, window.start, tz), local_instant(day, window.end, tz)
            if at < closes:
                return max(at, opens).astimezone(UTC)
        day += timedelta(days=1)
    raise ValueError("the send window never opens (no weekday left outside the holidays)")


def due_at(after: datetime, *, delay: int, unit: str, window: SendWindow, tz: ZoneInfo,
           holidays: Collection[date] = ()) -> datetime:
    """When a step with `delay` (`days` or `business_days`) counted from `after` may be sent (UTC)."""
    if after.tzinfo is None:
        raise ValueError("`after` must be timezone-aware")
    local = after.astimezone(tz)
    if unit == "business_days":
        day = add_business_days(local.date(), delay, holidays)
    elif unit == "days":
        day = local.date() + timedelta(days=delay)
    else:
        raise ValueError(f"unknown delay unit {unit!r}")
    start = local_instant(day, local.time().replace(tzinfo=None), tz) if day != local.date() else after
    return next_open(start, window, tz, holidays)


def start_of_next_day(at: datetime, window: SendWindow, tz: ZoneInfo, holidays: Collection[date] = ()) -> datetime:
    """When the window opens on the next day it is open after `at`'s local day (used when a daily cap is hit)."""
    tomorrow = at.astimezone(tz).date() + timedelta(days=1)
    return next_open(local_instant(tomorrow, time(0), tz), window, tz, holidays)
