"""Writes and lookups of many people share one request (clients/batching.py), and the peer client remembers the
newest version of a record it has seen (clients/peer.py). No network: the sends are fakes of the peer."""
from __future__ import annotations

import asyncio

import pytest
from sync_gateway.clients.batching import Coalescer
from sync_gateway.clients.peer import PeerClient


class HeldPeer:
    """A fake batch endpoint that answers only when the test lets it; records every batch it got."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []
        self.release = asyncio.Event()
        self.fail: Exception | None = None

    async def send(self, items: list[str]) -> list[str]:
        self.batches.append(list(items))
        await self.release.wait()
        if self.fail is not None:
            raise self.fail
        return [f"done {i}" for i in items]


async def _until(predicate) -> None:
    for _ in range(1000):
        if predicate():
            return
        await asyncio.sleep(0)
    raise AssertionError("never happened")


async def test_a_lone_write_goes_at_once_and_writes_made_meanwhile_share_the_next_batch():
    peer = HeldPeer()
    batching = Coalescer(peer.send, max_items=10, parallel=1)
    first = asyncio.create_task(batching("a"))
    await _until(lambda: peer.batches == [["a"]])
    rest = [asyncio.create_task(batching(x)) for x in ("b", "c", "d")]
    await asyncio.sleep(0)
    assert peer.batches == [["a"]]  # the others wait for the one in flight
    peer.release.set()
    assert await first == "done a"
    assert await asyncio.gather(*rest) == ["done b", "done c", "done d"]
    assert peer.batches == [["a"], ["b", "c", "d"]]


async def test_batches_never_exceed_max_items():
    peer = HeldPeer()
    peer.release.set()
    batching = Coalescer(peer.send, max_items=2, parallel=1)
    assert await asyncio.gather(*(batching(str(i)) for i in range(5))) == [f"done {i}" for i in range(5)]
    assert all(len(b) <= 2 for b in peer.batches) and sum(map(len, peer.batches)) == 5


async def test_a_failed_batch_fails_every_write_it_carried_and_the_next_writes_still_go():
    peer = HeldPeer()
    batching = Coalescer(peer.send, max_items=10, parallel=1)
    peer.fail = ConnectionError("peer down")
    calls = [asyncio.create_task(batching(x)) for x in ("a", "b")]
    peer.release.set()
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    peer.fail = None
    assert await batching("c") == "done c"


async def test_the_client_keeps_the_newest_version_it_saw_of_a_record():
    client = PeerClient(side="crm", base_url="http://127.0.0.1:9", collection="/v1/prospects", api_key="k", remember=2)
    try:
        client.remember({"id": "p1", "version": 3, "headline": "new"}, '"3"')
        client.remember({"id": "p1", "version": 2, "headline": "old"})  # an event that arrived late
        assert client.recall("p1") == ({"id": "p1", "version": 3, "headline": "new"}, '"3"')
        client.remember({"id": "p1", "version": 4, "headline": "newer"})
        assert client.recall("p1")[1] == '"4"'  # the ETag of a version is its number
        client.remember({"id": "p2", "version": 1})
        client.remember({"id": "p3", "version": 1})
        assert client.recall("p1") is None  # the least recently seen goes first
        client.forget("p3")
        assert client.recall("p3") is None and client.recall("p2") is not None
    finally:
        await client.close()


@pytest.mark.parametrize("record", [{"id": "p1"}, {"id": "p1", "version": "7"}])
async def test_a_record_without_a_version_is_not_remembered(record):
    client = PeerClient(side="crm", base_url="http://127.0.0.1:9", collection="/v1/prospects", api_key="k")
    try:
        client.remember(record)
        assert client.recall("p1") is None
    finally:
        await client.close()
