"""The operations CLI without servers: argument checks, the backfill checkpoint file, the synthetic events' ids
and times, the progress line. The commands themselves run against the real stack in tests/e2e/test_gateway_cli.py."""
import io
import json
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from sync_gateway import cli
from sync_gateway.cli.backfill import Checkpoints
from sync_gateway.cli.common import CliError
from sync_gateway.cli.progress import Progress
from sync_gateway.profiles.records import is_gone, resync_time
from sync_gateway.profiles.service import backfill_event


def settings(db: str = "postgresql+asyncpg://postgres:secret@db:5432/gateway") -> SimpleNamespace:
    return SimpleNamespace(database_url=db, ats_url="http://ats", crm_url="http://crm")


@pytest.mark.parametrize("argv", [["backfill", "--batch", "0"], ["backfill", "--batch", "201"], ["backfill", "--side", "x"],
                                  ["backfill", "--concurrency", "0"], ["backfill", "--concurrency", "17"],
                                  ["resync"], ["resync", "--candidate", "not-a-uuid"],
                                  ["resync", "--candidate", str(uuid.uuid4()), "--prospect", str(uuid.uuid4())],
                                  ["replay", "--topic", "t", "--partition", "0"],
                                  ["replay", "--topic", "t", "--partition", "0", "--from-offset", "-1"],
                                  ["backfill", "--updated-after", "2025-01-01T00:00:00"], []])
def test_bad_usage_exits_2(argv, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(argv)
    assert exc.value.code == 2


def test_parser_defaults():
    args = cli.build_parser().parse_args(["backfill"])
    assert (args.side, args.batch, args.concurrency, args.restart, args.max_pages, args.json) == \
        ("both", 200, 8, False, None, False)
    args = cli.build_parser().parse_args(["lag", "--json"])
    assert args.group is None and args.json


def test_checkpoint_per_target_atomic_and_without_the_password(tmp_path):
    store = Checkpoints(tmp_path, settings())
    assert store.load() == {}
    with store.locked():
        store.save("ats", {"cursor": "abc", "records": 2})
        store.save("crm", {"cursor": None, "records": 0})
        with pytest.raises(CliError, match="another backfill"), Checkpoints(tmp_path, settings()).locked():
            pass
    assert store.load() == {"ats": {"cursor": "abc", "records": 2}, "crm": {"cursor": None, "records": 0}}
    text = store.path.read_text()
    assert "secret" not in text and json.loads(text)["target"]["ats_url"] == "http://ats"
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []
    other = Checkpoints(tmp_path, settings("postgresql+asyncpg://postgres@db:5432/other"))
    assert other.path != store.path and other.load() == {}
    store.path.write_text("{not json")
    assert store.load() == {}  # unreadable: start over rather than fail


def test_backfill_event_is_fixed_per_record_and_dated_at_its_creation():
    record = {"id": str(uuid.uuid4()), "created_at": "2025-01-02T03:04:05+00:00", "updated_at": "2025-02-01T00:00:00+00:00"}
    first, again = backfill_event(record), backfill_event(dict(record))
    assert first.id == again.id == str(uuid.uuid5(uuid.NAMESPACE_URL, f"backfill:{record['id']}"))
    assert first.time == datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC) and first.subject == record["id"]


def test_resync_time_is_before_everything_known_of_both_records():
    ats = {"created_at": "2025-03-01T00:00:00+00:00", "field_times": {"headline": "2025-03-05T00:00:00+00:00"}}
    crm = {"created_at": "2025-03-02T00:00:00+00:00", "field_times": {"first_name": "2025-02-20T00:00:00+00:00"}}
    assert resync_time(ats, crm) == datetime(2025, 2, 20, tzinfo=UTC) - timedelta(milliseconds=1)
    assert abs(resync_time({}) - datetime.now(UTC)) < timedelta(seconds=5)


def test_erased_and_merged_records_are_recognised_on_both_sides():
    assert is_gone({"erased_at": "2025-01-01T00:00:00+00:00"}) and is_gone({"status": "erased"})
    assert is_gone({"merged_into_id": "x"}) and is_gone({"status": "merged"})
    assert not is_gone({"erased_at": None, "status": "active", "merged_into_id": None})


def test_progress_without_a_terminal_prints_a_line_at_most_every_interval_and_a_last_one():
    out = io.StringIO()
    progress = Progress("backfill ats", stream=out, width=10, every=3600)
    progress.total = 400
    progress.page(200, {"created": 150, "resynced": 50})
    progress.page(100, {"created": 100})
    assert out.getvalue().count("\n") == 1  # the first page draws; the second falls inside the interval
    progress.close()
    first, last = out.getvalue().splitlines()
    assert first.startswith("backfill ats [#####-----]  50% 200/400 (1 pages) | created 150 resynced 50 |")
    assert last.startswith("backfill ats [########--]  75% 300/400 (2 pages) | created 250 resynced 50 |")
    assert "/s | " in last and last.endswith(" left")


def test_progress_without_a_total_counts_and_gives_the_rate():
    out = io.StringIO()
    progress = Progress("backfill crm", stream=out, done=1000)
    progress.page(200, {"unlinked": 200})
    progress.close()
    assert out.getvalue().splitlines()[-1].startswith("backfill crm 1,200 done (1 pages) | unlinked 200 | ")
