"""The SQL an app really sends: `with statements_sent(engine) as sent:` records every statement that goes out on the
engine meanwhile, with the connection it went out on (background workers share an app's engine, so a test looks at
the request's own connection: `sent.on_connection_of("INSERT INTO candidates")`)."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine


@dataclass(frozen=True)
class Sent:
    connection: object  # the DBAPI connection it went out on
    sql: str  # as sent, whitespace collapsed
    parameters: Any


class Statements(list[Sent]):
    def on_connection_of(self, prefix: str) -> list[str]:
        """The statements sent on the connection that sent the first one starting with `prefix`."""
        mine = next(s.connection for s in self if s.sql.startswith(prefix))
        return [s.sql for s in self if s.connection is mine]


@contextmanager
def statements_sent(engine: AsyncEngine) -> Iterator[Statements]:
    sent = Statements()

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
        sent.append(Sent(conn.connection.dbapi_connection, " ".join(statement.split()), parameters))
    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
