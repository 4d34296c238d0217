"""A periodic job that exactly one replica runs at a time (retention, consent renewal): leadership is a PostgreSQL
advisory lock held by a dedicated connection, so a replica that dies (or loses its connection) hands over."""
from __future__ import annotations

import asyncio
import logging
import zlib
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from talentkit import background

log = logging.getLogger("talentkit.singleton")


async def run_periodically_as_leader(engine: AsyncEngine, name: str, job: Callable[[], Awaitable[object]], *,
                                     interval: float) -> None:
    """Forever: become the leader for `name`, then run `job` every `interval` seconds while leading. A failing run
    is logged and retried at the next interval; the job itself must be safe to repeat (restarts repeat it)."""
    lock_id = zlib.crc32(f"singleton:{name}".encode())
    while True:
        try:
            async with engine.connect() as conn:
                while not (await conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_id})).scalar():
                    await conn.rollback()
                    await background.sleep(min(interval, 5))
                await conn.commit()
                log.info("leading", extra={"job": name})
                try:
                    while True:
                        try:
                            await job()
                        except asyncio.CancelledError:
                            raise
                        except Exception:
                            log.exception("periodic job failed; next try at the next interval", extra={"job": name})
                        await background.sleep(interval)
                        await conn.execute(text("SELECT 1"))  # still holding the lock's session?
                        await conn.commit()
                finally:
                    try:
                        await conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_id})
                        await conn.commit()
                    except Exception:
                        log.warning("could not release the leader lock (session gone)", exc_info=True)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("leader election failed; retrying", extra={"job": name})
            await background.sleep(min(interval, 5))
