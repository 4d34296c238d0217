"""A background task of a service (`create_service_app(workers=...)`): run a step over and over, pausing when it
found nothing to do; an error is logged and the step tried again after the pause (its work stays where it was).
And the waits such loops pause in (until woken or a timeout, or a plain pause), which never start while the task's
own cancellation is pending: see `raise_if_cancelled`."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from fastapi import FastAPI

log = logging.getLogger("talentkit.background")


GATHER_SECONDS = 0.5  # a worker woken by a commit waits this long, so that a stream of commits is one round of work


def repeat(step: Callable[[FastAPI], Awaitable[Any]], *, pause: Callable[[FastAPI], float],
           name: str, wake_on_commit: bool = False) -> Callable[[FastAPI], Coroutine[Any, Any, None]]:
    """A worker running `step(app)` again at once while it returns something truthy (busy), else after `pause(app)`
    seconds. With `wake_on_commit`, an idle worker also starts again `GATHER_SECONDS` after this process commits
    events (`app.state.committed`): work made here is taken within that half second, the commits of that half second
    are taken together (the embedding worker embeds them as one batch, as when it polled), and the pause only bounds
    how late work made by another replica is found, so it can be long and an idle service stays idle."""
    async def worker(app: FastAPI) -> None:
        while True:
            raise_if_cancelled()  # busy, the loop may never reach a wait
            try:
                busy = await step(app)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("background step failed", extra={"worker": name})
                busy = False
            if not busy:
                signal = getattr(app.state, "committed", None) if wake_on_commit else None
                if signal is not None:
                    raise_if_cancelled()
                    if await signal.wait(pause(app)):
                        await asyncio.sleep(GATHER_SECONDS)
                else:
                    await sleep(pause(app))
    worker.__name__ = name
    return worker


def raise_if_cancelled() -> None:
    """Raise `CancelledError` when this task was cancelled and something swallowed it. aiokafka does, when the cancel
    arrives while a client closes (`AIOKafkaClient.close` awaits its metadata task under
    `suppress(CancelledError)`), and so does `asyncio.wait_for` (Python 3.11) when the cancel arrives as what it waits
    for finishes. A loop that runs on after its service cancelled it hangs the shutdown (the outbox relay did, when
    the gateway stopped while it was creating its topics), so every wait of a background loop checks first."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def sleep(seconds: float) -> None:
    """`asyncio.sleep` for background loops: it does not start while this task's cancellation is pending."""
    raise_if_cancelled()
    await asyncio.sleep(seconds)


async def wait_until_set(event: asyncio.Event, timeout: float) -> bool:
    """Wait for `event` at most `timeout` seconds; True when it was set. A cancellation always gets through, even one
    that arrives as the event is set (`asyncio.wait_for` would return instead), or one swallowed before the wait
    began (`raise_if_cancelled`)."""
    raise_if_cancelled()
    try:
        async with asyncio.timeout(max(timeout, 0)):
            await event.wait()
    except TimeoutError:
        return False
    return True
