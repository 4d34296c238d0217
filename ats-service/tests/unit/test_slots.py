"""Slot proposals as pure computation: working hours in each panelist's zone, busy time, step boundaries."""
from datetime import UTC, datetime, time, timedelta

from ats.scheduling.slots import Calendar, free_slots

MONDAY = datetime(2031, 3, 3, tzinfo=UTC)
WEEKDAYS_9_TO_5 = [(d, time(9), time(17)) for d in range(5)]


def starts(found):
    return [s.strftime("%a %H:%M") for s, _ in found]


def test_a_slot_must_fit_inside_the_working_hours_of_every_panelist_in_their_own_zone():
    tokyo, london = Calendar("Asia/Tokyo", WEEKDAYS_9_TO_5), Calendar("Europe/London", WEEKDAYS_9_TO_5)
    # Tokyo 9-17 is 00:00-08:00 UTC, London 9-17 is 09:00-17:00 UTC: they never overlap
    assert free_slots([tokyo, london], start=MONDAY, end=MONDAY + timedelta(days=7), duration=timedelta(minutes=30),
                      step=timedelta(minutes=30), limit=100) == []
    found = free_slots([tokyo], start=MONDAY, end=MONDAY + timedelta(days=1), duration=timedelta(hours=1),
                       step=timedelta(hours=1), limit=100)
    assert starts(found) == [f"Mon {h:02d}:00" for h in range(8)]


def test_busy_time_is_skipped_and_back_to_back_is_free():
    cal = Calendar("UTC", WEEKDAYS_9_TO_5, busy=[(MONDAY + timedelta(hours=10), MONDAY + timedelta(hours=11))])
    found = free_slots([cal], start=MONDAY + timedelta(hours=9), end=MONDAY + timedelta(hours=13),
                       duration=timedelta(hours=1), step=timedelta(minutes=30), limit=100)
    assert starts(found) == ["Mon 09:00", "Mon 11:00", "Mon 11:30", "Mon 12:00"]


def test_slots_start_on_step_boundaries_stop_at_the_limit_and_never_cross_midnight_or_weekends():
    cal = Calendar("UTC", [(d, time(0), time(23, 59)) for d in range(7)])
    found = free_slots([cal], start=MONDAY + timedelta(minutes=7), end=MONDAY + timedelta(days=1),
                       duration=timedelta(minutes=15), step=timedelta(minutes=15), limit=3)
    assert starts(found) == ["Mon 00:15", "Mon 00:30", "Mon 00:45"]
    late = free_slots([cal], start=MONDAY + timedelta(hours=23), end=MONDAY + timedelta(days=1, hours=2),
                      duration=timedelta(hours=1), step=timedelta(hours=1), limit=10)
    assert starts(late) == ["Tue 00:00", "Tue 01:00"]  # 23:00-00:00 would end after the working day
    weekend = free_slots([Calendar("UTC", WEEKDAYS_9_TO_5)], start=MONDAY + timedelta(days=5),
                         end=MONDAY + timedelta(days=7), duration=timedelta(hours=1), step=timedelta(hours=1), limit=10)
    assert weekend == []
