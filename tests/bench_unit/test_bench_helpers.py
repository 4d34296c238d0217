"""The arithmetic and the load generator of `make bench` (no stack is started here)."""
from __future__ import annotations

import asyncio
import itertools
import math

import pytest
from bench.load import HttpClient, Request, open_loop
from bench.report import Row, _clean, render
from bench.stats import MISSING, lag_verdict, percentile, schedule, summary


def test_percentile_is_the_nearest_rank_and_counts_a_missing_value_as_the_slowest():
    values = [i / 100 for i in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (0.5, 0.99, 1.0)
    assert percentile([0.3, 0.1, 0.2], 99) == 0.3
    assert percentile([0.1, MISSING], 50) == 0.1 and percentile([0.1, MISSING], 99) == MISSING
    assert math.isnan(percentile([], 50))


def test_summary_reports_missing_values_apart_from_the_slowest_answer():
    s = summary([0.2, 0.1, MISSING])
    assert (s["n"], s["missing"], s["p50"], s["max"], s["p99"]) == (3, 1, 0.2, 0.2, MISSING)


def test_schedule_spaces_sends_evenly_whatever_the_responses_do():
    assert schedule(4, 1) == [0, 0.25, 0.5, 0.75]
    assert len(schedule(1, 30)) == 30 and schedule(1, 30)[-1] == 29
    assert schedule(0.5, 1) == [0]  # at least one request
    with pytest.raises(ValueError):
        schedule(0, 10)


def test_lag_is_flat_when_the_last_third_is_as_fast_as_the_first_and_not_when_it_grows():
    steady = [(t, 0.1 + (t % 3) / 100) for t in range(30)]
    growing = [(t, 0.1 + t * 0.5) for t in range(30)]
    lost_at_the_end = [(t, 0.1 if t < 29 else MISSING) for t in range(30)]
    assert lag_verdict(steady)["flat"] is True
    assert lag_verdict(growing)["flat"] is False
    assert lag_verdict(lost_at_the_end)["flat"] is False
    assert lag_verdict([(0, 0.1), (1, 0.1)])["flat"] is None  # too few to say


def test_a_row_judges_its_target_on_the_value_or_on_the_ratio_to_the_baseline():
    assert Row("api", "reads", 60, "req/s", baseline=100, target=0.5, on_ratio=True).met is True
    assert Row("api", "reads", 40, "req/s", baseline=100, target=0.5, on_ratio=True).met is False
    assert Row("sync", "p99", 0.3, "ms", target=0.25, higher_is_better=False).met is False
    assert Row("sync", "p99", MISSING, "ms", target=1.0, higher_is_better=False).met is False
    assert Row("sync", "p99", 0.3, "ms").met is None
    assert "never" in render([Row("sync", "p99", MISSING, "ms", baseline=0.1)])
    assert _clean({"p99": MISSING, "rows": [math.nan, 1.5]}) == {"p99": None, "rows": [None, 1.5]}


async def test_open_loop_latency_counts_the_queueing_behind_a_slow_server():
    async def slow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(0.1)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    server = await asyncio.start_server(slow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = HttpClient(f"http://127.0.0.1:{port}", max_connections=1)  # one at a time: requests queue
    try:
        results = await open_loop(client, 50, 0.2, lambda i: Request("GET", f"/{i}", tag=i))
    finally:
        await client.close()
        server.close()
        await server.wait_closed()
    assert [r.tag for r in results] == list(range(10)) and {r.status for r in results} == {200}
    assert [round(b.intended - a.intended, 6) for a, b in itertools.pairwise(results)] == [0.02] * 9
    # The 10th was meant to go out 0.18 s after the first but waited for nine 0.1 s answers before it: measured
    # from its intended time it took at least 1 s - 0.18 s; a closed-loop client would have reported 0.1 s.
    assert results[-1].latency >= 10 * 0.1 - 0.18
