"""Step timing: delays in days and business days, holidays, send windows, recipient time zones and DST."""
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from crm.sequences.schedule import (
    SendWindow,
    add_business_days,
    due_at,
    local_instant,
    next_open,
    start_of_next_day,
)

NY, BERLIN, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")
OFFICE = SendWindow()  # 09:00-17:00 Mon-Fri


def utc(*a: int) -> datetime:
    return datetime(*a, tzinfo=UTC)


def test_inside_the_window_sends_now():
    at = utc(2026, 3, 4, 10)  # Wed 11:00 Berlin
    assert due_at(at, delay=0, unit="days", window=OFFICE, tz=BERLIN) == at


def test_before_the_window_waits_for_it_to_open_in_the_recipients_zone():
    at = utc(2026, 3, 4, 5)  # Wed 06:00 Berlin
    assert due_at(at, delay=0, unit="days", window=OFFICE, tz=BERLIN) == utc(2026, 3, 4, 8)


def test_after_the_window_moves_to_the_next_open_day_and_friday_evening_to_monday():
    assert next_open(utc(2026, 3, 4, 17), OFFICE, BERLIN) == utc(2026, 3, 5, 8)
    assert next_open(utc(2026, 3, 6, 16, 30), OFFICE, BERLIN) == utc(2026, 3, 9, 8)  # Fri 17:30 -> Mon 09:00


def test_the_window_end_is_exclusive():
    assert next_open(utc(2026, 3, 4, 16), OFFICE, BERLIN) == utc(2026, 3, 5, 8)  # 17:00 Berlin is closed


def test_same_instant_lands_on_different_days_per_time_zone():
    at = utc(2026, 3, 4, 23)  # Wed 18:00 NY (closed), Thu 08:00 Tokyo (before open)
    assert next_open(at, OFFICE, NY) == utc(2026, 3, 5, 14)  # Thu 09:00 EST
    assert next_open(at, OFFICE, TOKYO) == utc(2026, 3, 5, 0)  # Thu 09:00 JST


def test_calendar_days_keep_the_local_wall_time_and_then_fit_the_window():
    start = utc(2026, 3, 6, 9)  # Fri 10:00 Berlin
    assert due_at(start, delay=1, unit="days", window=OFFICE, tz=BERLIN) == utc(2026, 3, 9, 8)  # Sat -> Mon 09:00
    assert due_at(start, delay=3, unit="days", window=OFFICE, tz=BERLIN) == utc(2026, 3, 9, 9)  # Mon 10:00


def test_business_days_skip_weekends_and_holidays():
    assert add_business_days(date(2026, 3, 6), 1, ()) == date(2026, 3, 9)
    assert add_business_days(date(2026, 3, 6), 1, {date(2026, 3, 9)}) == date(2026, 3, 10)
    start = utc(2026, 12, 23, 10)  # Wed 11:00 Berlin
    holidays = {date(2026, 12, 24), date(2026, 12, 25)}
    assert due_at(start, delay=2, unit="business_days", window=OFFICE, tz=BERLIN, holidays=holidays) == utc(2026, 12, 29, 10)


def test_a_holiday_is_never_open_even_for_calendar_delays():
    start = utc(2026, 12, 24, 10)
    holidays = {date(2026, 12, 25)}
    assert due_at(start, delay=1, unit="days", window=OFFICE, tz=BERLIN, holidays=holidays) == utc(2026, 12, 28, 8)  # Fri 25th is a holiday -> Mon 09:00


def test_spring_forward_keeps_wall_time_across_the_change():
    start = utc(2026, 3, 6, 15)  # Fri 10:00 EST (UTC-5); DST starts Sun Mar 8
    assert due_at(start, delay=3, unit="days", window=OFFICE, tz=NY) == utc(2026, 3, 9, 14)  # Mon 10:00 EDT (UTC-4)


def test_fall_back_keeps_wall_time_across_the_change():
    start = utc(2026, 10, 23, 8)  # Fri 10:00 CEST; DST ends Sun Oct 25
    assert due_at(start, delay=3, unit="days", window=OFFICE, tz=BERLIN) == utc(2026, 10, 26, 9)  # Mon 10:00 CET


def test_a_wall_time_skipped_by_dst_moves_forward_by_the_gap():
    assert local_instant(date(2026, 3, 8), time(2, 30), NY) == datetime(2026, 3, 8, 3, 30, tzinfo=NY)
    night = SendWindow(start=time(2, 30), end=time(5), days=frozenset(range(7)))
    assert next_open(utc(2026, 3, 8, 5), night, NY) == utc(2026, 3, 8, 7, 30)  # 03:30 EDT


def test_an_ambiguous_wall_time_takes_the_first_occurrence():
    night = SendWindow(start=time(1, 30), end=time(4), days=frozenset(range(7)))
    assert next_open(utc(2026, 11, 1, 4), night, NY) == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, not EST


def test_weekend_only_windows_and_a_window_that_never_opens():
    weekend = SendWindow(days=frozenset({5, 6}))
    assert next_open(utc(2026, 3, 4, 10), weekend, BERLIN) == utc(2026, 3, 7, 8)
    with pytest.raises(ValueError):
        next_open(utc(2026, 3, 4, 10), SendWindow(days=frozenset()), BERLIN)


def test_next_day_start_for_a_daily_cap():
    assert start_of_next_day(utc(2026, 3, 6, 10), OFFICE, BERLIN) == utc(2026, 3, 9, 8)


def test_naive_times_and_unknown_units_are_refused():
    with pytest.raises(ValueError):
        due_at(datetime(2026, 3, 4, 10), delay=0, unit="days", window=OFFICE, tz=BERLIN)
    with pytest.raises(ValueError):
        due_at(utc(2026, 3, 4, 10), delay=1, unit="weeks", window=OFFICE, tz=BERLIN)


def test_window_from_the_stored_definition():
    w = SendWindow.from_dict({"start": "08:30:00", "end": "12:00:00", "days": ["sat"]})
    assert (w.start, w.end, w.days) == (time(8, 30), time(12), frozenset({5}))
