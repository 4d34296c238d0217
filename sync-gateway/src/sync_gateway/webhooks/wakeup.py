"""Sleep until there is work: a PostgreSQL NOTIFY on a channel, a poke from inside the process, or a timeout."""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg
from sqlalchemy.engine import make_url
from talentkit.background import wait_until_set

log = logging.getLogger("sync_gateway.webhooks")
RECONNECT_SECONDS = 1.0  # while LISTEN is down, wait at most this long: polling keeps work moving meanwhile


def asyncpg_dsn(database_url: str) -> str:
    """The SQLAlchemy URL (`postgresql+asyncpg://…`) as a plain libpq DSN for asyncpg."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)


class Wakeup:
    """LISTEN on `channel` over one connection of its own; `wait(timeout)` returns at the first of a notification,
    a `poke()`, or the timeout. Without a listening connection it reconnects and waits at most a second."""

    def __init__(self, database_url: str, channel: str) -> None:
        self.dsn, self.channel = asyncpg_dsn(database_url), channel
        self.conn: asyncpg.Connection | None = None
        self.event = asyncio.Event()
        self.notifications = 0

    def poke(self) -> None:
        self.event.set()

    def _notified(self, *_: Any) -> None:
        self.notifications += 1
        self.event.set()

    async def _connect(self) -> bool:
        try:
            self.conn = await asyncpg.connect(self.dsn, timeout=5)
            await self.conn.add_listener(self.channel, self._notified)
        except (OSError, asyncpg.PostgresError, TimeoutError):
            log.warning("cannot LISTEN for new webhook deliveries; polling until it can", exc_info=True)
            await self.close()
            return False
        return True

    async def start(self) -> None:
        """LISTEN before the first look for work, so nothing notified after that look is missed."""
        await self._connect()

    async def wait(self, timeout: float) -> None:
        """Until notified, poked, or `timeout` seconds passed."""
        if self.conn is None or self.conn.is_closed():
            if await self._connect():
                self.event.set()  # notifications may have gone by while not listening: look once
            else:
                timeout = min(timeout, RECONNECT_SECONDS)
        await wait_until_set(self.event, timeout)
        self.event.clear()

    async def close(self) -> None:
        conn, self.conn = self.conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.close(timeout=2)
