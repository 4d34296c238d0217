"""The waits background loops pause in (`talentkit.background`): woken, timed out, or stopped, and a stop always
stops the loop, even one that arrives as it is woken or one a library swallowed; and a shutdown that never hangs on
a worker that ignores its stop (`talentkit.app.stop_workers`)."""
import asyncio
import contextlib
import logging

import pytest
from talentkit import background
from talentkit.app import stop_workers
from talentkit.background import wait_until_set


async def test_it_says_whether_it_was_woken_or_timed_out():
    woken = asyncio.Event()
    assert await wait_until_set(woken, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, woken.set)
    assert await wait_until_set(woken, 5) is True
    assert await wait_until_set(woken, 0) is True  # already set: no wait at all


async def test_a_loop_stopped_as_it_is_woken_stops():
    async def relay_like(wake: asyncio.Event) -> None:
        while True:
            wake.clear()
            await wait_until_set(wake, 10)

    for _ in range(50):
        wake = asyncio.Event()
        loop = asyncio.create_task(relay_like(wake))
        await asyncio.sleep(0)
        wake.set()
        await asyncio.sleep(0)  # the wait is released...
        loop.cancel()  # ...and the stop arrives before the loop runs again (asyncio.wait_for would swallow it)
        done, _ = await asyncio.wait({loop}, timeout=1)
        assert done == {loop}
        with pytest.raises(asyncio.CancelledError):
            await loop


async def test_a_loop_whose_stop_a_library_swallowed_stops_at_its_next_wait():
    """aiokafka's `AIOKafkaClient.close()` awaits its metadata task under `suppress(CancelledError)`: a stop that
    arrives there is lost, and the outbox relay, stopped while it created its topics, ran on and hung the
    gateway's shutdown. Its next wait sees the pending stop."""
    async def closes_like_aiokafka() -> None:
        inner = asyncio.create_task(asyncio.sleep(0.05))
        with contextlib.suppress(asyncio.CancelledError):  # the outer task's cancel lands here, and is lost
            await inner

    async def relay_like(wake: asyncio.Event, pause: bool) -> None:
        while True:
            await closes_like_aiokafka()
            await (background.sleep(10) if pause else background.wait_until_set(wake, 10))

    for pause in (False, True):
        loop = asyncio.create_task(relay_like(asyncio.Event(), pause))
        try:
            await asyncio.sleep(0.01)  # inside the close
            loop.cancel()
            done, _ = await asyncio.wait({loop}, timeout=2)
            assert done == {loop}, "the loop ran on after its stop"
            assert loop.cancelled()
        finally:
            loop.cancel()  # a loop that ran on must not outlive the test (it swallows one cancel per pass)
            loop.cancel()


async def test_a_shutdown_waits_a_bounded_time_for_a_worker_that_ignores_its_stop(caplog):
    released = asyncio.Event()

    async def stubborn() -> None:
        while not released.is_set():
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(10)

    async def obedient() -> None:
        await asyncio.sleep(10)

    async def failing() -> None:
        raise RuntimeError("its peer is gone")

    tasks = [asyncio.create_task(stubborn(), name="stubborn"), asyncio.create_task(obedient(), name="obedient"),
             asyncio.create_task(failing(), name="failing")]
    await asyncio.sleep(0)
    try:
        with caplog.at_level(logging.ERROR, logger="talentkit.app"):
            await stop_workers(tasks, timeout=0.2)
        assert tasks[1].cancelled() and not tasks[0].done()
        [record] = [r for r in caplog.records if r.getMessage() == "background task did not stop"]
        assert record.task == "stubborn" and record.waiting_in.startswith("stubborn (")
        [failed] = [r for r in caplog.records if r.getMessage() == "background task failed"]
        assert failed.task == "failing" and "its peer is gone" in str(failed.exc_info[1])
    finally:
        released.set()
        tasks[0].cancel()
        await tasks[0]
