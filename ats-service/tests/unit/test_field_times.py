"""A profile field's change time never goes backwards; an edit made here moves it strictly forward, a sync write
brings the winner's own time (latest-wins across the two systems compares these times)."""
from datetime import UTC, datetime, timedelta

from ats.candidates.models import Candidate

T = datetime(2026, 12, 2, 22, 9, 50, 369161, tzinfo=UTC)


def candidate() -> Candidate:
    c = Candidate()
    c.start({"first_name": "Kurt", "last_name": "Gödel"}, at=T, actor="t")
    return c


def time_of(c: Candidate, name: str) -> datetime:
    return datetime.fromisoformat(c.field_times[name])


def test_an_edit_at_the_same_or_an_earlier_moment_still_moves_the_time_forward():
    c = candidate()
    c.change({"first_name": "Alonzo"}, at=T, actor="t")
    assert time_of(c, "first_name") == T + timedelta(microseconds=1)
    c.change({"first_name": "Alan"}, at=T - timedelta(seconds=5), actor="t")  # a clock that stepped back
    assert time_of(c, "first_name") == T + timedelta(microseconds=2)


def test_a_sync_write_that_won_a_tie_keeps_the_winners_time():
    """Both sides edited in the same microsecond; the ATS's value wins the tie and reaches the CRM with that time,
    so both sides end holding the same value at the same time."""
    c = candidate()
    c.change({"first_name": "Alonzo"}, at=T, actor="sync-gateway", field_at={"first_name": T})
    assert c.first_name == "Alonzo" and time_of(c, "first_name") == T


def test_a_sync_write_never_moves_a_time_backwards():
    c = candidate()
    c.change({"first_name": "Alonzo"}, at=T, actor="sync-gateway", field_at={"first_name": T - timedelta(seconds=1)})
    assert time_of(c, "first_name") == T
    c.change({"last_name": "Church"}, at=T + timedelta(seconds=1), actor="sync-gateway",
             field_at={"first_name": T + timedelta(hours=1)})  # a time for a field that did not change: unused
    assert time_of(c, "last_name") == T + timedelta(seconds=1) and time_of(c, "first_name") == T
