"""The wait background loops pause in (`talentkit.background.wait_until_set`): woken, timed out, or stopped, and a
stop always stops the loop, even one that arrives as it is woken."""
import asyncio

import pytest
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
