"""Free slots of a panel, as pure computation: a slot is free when it lies inside every panelist's working hours
(in their own zone, on one local day) and overlaps none of their busy time (blocks and booked interviews)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Calendar:
    timezone: str
    hours: list[tuple[int, time, time]]  # (weekday, start, end), local
    busy: list[tuple[datetime, datetime]] = field(default_factory=list)

    def works(self, start: datetime, end: datetime) -> bool:
        """Inside one stretch of working hours, on one local day."""
        zone = ZoneInfo(self.timezone)
        s, e = start.astimezone(zone), end.astimezone(zone)
        return s.date() == e.date() and any(
            day == s.weekday() and opens <= s.time() and e.time() <= closes for day, opens, closes in self.hours)

    def free(self, start: datetime, end: datetime) -> bool:
        return not any(b_start < end and start < b_end for b_start, b_end in self.busy)


def free_slots(calendars: list[Calendar], *, start: datetime, end: datetime, duration: timedelta, step: timedelta,
               limit: int) -> list[tuple[datetime, datetime]]:
    """Up to `limit` slots of `duration` between `start` and `end`, starting on `step` boundaries (UTC)."""
    step_s = int(step.total_seconds())
    epoch = int(start.timestamp())
    at = datetime.fromtimestamp(epoch + (-epoch % step_s), tz=start.tzinfo)
    out: list[tuple[datetime, datetime]] = []
    while at + duration <= end and len(out) < limit:
        slot_end = at + duration
        if all(c.works(at, slot_end) and c.free(at, slot_end) for c in calendars):
            out.append((at, slot_end))
        at += step
    return out
