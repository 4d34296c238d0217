"""What the gateway's work costs: peer requests, SQL statements and commits, counted per worker (`sync` for the live
consumer, `backfill`, `resync`, ...; `other` for the API and everything else).

The worker is a context variable set at the top of a worker's task, so every task it starts (the consumer's
per-event tasks, the effects transactions) counts under it. `/metrics` then shows, e.g., how many HTTP calls and
SQL statements each synced candidate cost (`gateway_peer_requests_total`, `gateway_sql_statements_total`)."""
from __future__ import annotations

import contextvars
import weakref
from typing import Any

from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

PEER_REQUESTS = Counter("gateway_peer_requests_total", "HTTP requests the gateway sent to the ATS or CRM",
                        ["worker", "side", "method"])
SQL_STATEMENTS = Counter("gateway_sql_statements_total",
                         "SQL statements the gateway sent (kind `statement`) and transactions it committed (`commit`)",
                         ["worker", "kind"])
_METERED: weakref.WeakSet[Any] = weakref.WeakSet()
_worker: contextvars.ContextVar[str] = contextvars.ContextVar("gateway_worker", default="other")


def working_as(worker: str) -> None:
    """Count what this task (and every task it starts from now on) does under `worker`."""
    _worker.set(worker)


def worker() -> str:
    """The worker the current task counts under."""
    return _worker.get()


BATCH_ITEMS = Counter("gateway_peer_batch_items_total", "Creates and updates the gateway sent inside batch requests",
                      ["worker", "side"])


def peer_request(side: str, method: str, items: int = 0) -> None:
    """Count one HTTP request (and, for a batch, the writes it carried)."""
    PEER_REQUESTS.labels(_worker.get(), side, method).inc()
    if items:
        BATCH_ITEMS.labels(_worker.get(), side).inc(items)


def meter(engine: AsyncEngine) -> AsyncEngine:
    """Count the engine's statements and commits under the current worker (idempotent per engine)."""
    sync = engine.sync_engine
    if sync in _METERED:
        return engine
    _METERED.add(sync)

    def statement(*_: Any) -> None:
        SQL_STATEMENTS.labels(_worker.get(), "statement").inc()

    def commit(conn: Any) -> None:
        # a COMMIT goes out only when the driver began a transaction: not after a read-only or `ONE_STATEMENT`
        # session (asyncpg's adapter then has none, and its commit sends nothing)
        if getattr(conn.connection.dbapi_connection, "_transaction", True) is not None:
            SQL_STATEMENTS.labels(_worker.get(), "commit").inc()
    event.listen(sync, "before_cursor_execute", statement)
    event.listen(sync, "commit", commit)
    return engine
