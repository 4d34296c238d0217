"""Engine, sessions and the tables every service has: outbox, processed events, idempotency keys, API keys (and
OAuth clients), rate-limit buckets.

Sessions begin their database transaction lazily: plain reads (a `select()` construct that locks nothing) run
before it as single autocommitted statements, and the first other statement (a write, a lock, any `text()`) sends
`BEGIN` first. At READ
COMMITTED every statement sees a fresh snapshot anyway, so a read before the first write sees what it would have
seen inside the transaction; a request that only reads costs one round trip per query, with no BEGIN or COMMIT."""
from __future__ import annotations

import asyncio
import functools
import re
import weakref
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import (
    ARRAY,
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    event,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.exc import DBAPIError, InterfaceError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session as SyncSession

from talentkit.sealing import subject_keys_table
from talentkit.uow import UnitOfWork

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    """A MetaData with the naming convention all services' migrations rely on."""
    return MetaData(naming_convention=NAMING_CONVENTION)


@dataclass(frozen=True)
class PlatformTables:
    outbox: Table
    processed_events: Table
    idempotency_keys: Table
    api_keys: Table
    rate_limit_buckets: Table
    subject_keys: Table | None = None  # services publishing personal data: per-person keys (talentkit.sealing)


def platform_tables(metadata: MetaData, *, personal_data: bool = False) -> PlatformTables:
    """Declare the platform's own tables in a service's metadata (so its migrations create them); a service whose
    events carry personal data also gets the per-person keys that seal it."""
    ts = lambda name, **kw: Column(name, DateTime(timezone=True), **kw)
    outbox = Table(
        "outbox", metadata,
        Column("seq", BigInteger, Identity(always=True), primary_key=True, comment="publish order"),
        Column("event_id", UUID(as_uuid=False), nullable=False, unique=True),
        Column("topic", Text, nullable=False),
        Column("aggregate_type", Text, nullable=False),
        Column("aggregate_id", Text, nullable=False),
        Column("event_type", Text, nullable=False),
        Column("envelope", JSONB, nullable=False),
        ts("created_at", nullable=False, server_default=func.now()),
        ts("published_at"),
    )
    Index("ix_outbox_unpublished", outbox.c.seq, postgresql_where=text("published_at IS NULL"))
    processed = Table(
        "processed_events", metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", Text, primary_key=True),
        ts("processed_at", nullable=False, server_default=func.now()),
    )
    idempotency = Table(
        "idempotency_keys", metadata,
        Column("principal", Text, primary_key=True),  # the credential's id (Principal.key_id), never its name
        Column("key", Text, primary_key=True),
        Column("method", Text, nullable=False),
        Column("path", Text, nullable=False),
        Column("request_hash", Text, nullable=False),
        Column("status_code", Integer),
        Column("response_body", Text),
        Column("response_headers", JSONB),
        ts("created_at", nullable=False, server_default=func.now()),
    )
    api_keys = Table(
        "api_keys", metadata,
        Column("id", UUID(as_uuid=False), primary_key=True),  # also the OAuth client id
        Column("kind", Text, nullable=False, server_default="api_key", comment="api_key | oauth_client"),
        Column("name", Text, nullable=False),
        Column("prefix", Text, nullable=False),
        Column("key_hash", Text, nullable=False, unique=True),  # sha256 of the key or the client secret
        Column("scopes", ARRAY(Text), nullable=False),
        Column("rate_limit", Integer, comment="requests per minute; NULL: the platform default"),
        Column("created_by", Text, nullable=False),
        ts("created_at", nullable=False, server_default=func.now()),
        ts("revoked_at"),
    )
    rate_limits = Table(
        "rate_limit_buckets", metadata,
        Column("bucket", Text, primary_key=True, comment="key:<credential id> or a page's ip:<address>"),
        ts("window_ends_at", nullable=False),
        Column("used", Integer, nullable=False, comment="hits leased to processes in this window"),
        Column("granted", Integer, nullable=False, comment="what the last lease got"),
    )
    keys = subject_keys_table(metadata) if personal_data else None
    return PlatformTables(outbox, processed, idempotency, api_keys, rate_limits, keys)


def create_engine(url: str, *, pool_timeout: float = 30.0) -> AsyncEngine:
    """An asyncpg engine sized for one service process. No pre-ping (a round trip per checkout): connections are
    recycled after half an hour, and one found dead fails its statement with `connection_lost` (503, retry),
    after which the pool replaces every connection that predates the failure. `pool_timeout`: the longest wait
    for a pooled connection."""
    # A pool as large as the concurrency it serves: connections beyond `pool_size` are opened and closed per use.
    # Statement cache: a batch of N items uses savepoints sa_savepoint_1..N (and their RELEASEs), each its own
    # statement; with the default 100 they evicted each other and the INSERTs, and every one was prepared again
    # (a round trip per statement; a fifth of a batch's time).
    engine = create_async_engine(url, pool_size=20, max_overflow=10, pool_recycle=1800, pool_timeout=pool_timeout,
                                 connect_args={"prepared_statement_cache_size": 1500})
    _savepoints_as_plain_text(engine)
    return engine


def _savepoints_as_plain_text(engine: AsyncEngine) -> None:
    """SAVEPOINT, RELEASE and ROLLBACK TO as plain statements. SQLAlchemy compiles its savepoint clauses anew each
    time (they are not cacheable): a quarter of a millisecond per item of a batch, each of which has one."""
    dialect = engine.sync_engine.dialect
    quote = dialect.identifier_preparer.quote

    def plain(sql: str) -> Callable[[Any, str], None]:
        def run(conn: Any, name: str) -> None:
            conn.exec_driver_sql(sql.format(quote(name)))
        return run
    dialect.do_savepoint = plain("SAVEPOINT {}")  # type: ignore[method-assign,assignment]  # per engine, not per class
    dialect.do_release_savepoint = plain("RELEASE SAVEPOINT {}")  # type: ignore[method-assign,assignment]  # per engine, not per class
    dialect.do_rollback_to_savepoint = plain("ROLLBACK TO SAVEPOINT {}")  # type: ignore[method-assign,assignment]  # per engine, not per class


async def database_check(engine: AsyncEngine, timeout: float = 3.0) -> str:
    """`ok` when PostgreSQL answers a `SELECT 1` within the timeout, else `unreachable: <error type>`."""
    try:
        async with engine.connect() as conn:
            await asyncio.wait_for(conn.execute(text("SELECT 1")), timeout)
        return "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"unreachable: {type(exc).__name__}"


def connection_lost(exc: BaseException) -> bool:
    """The database connection is gone (refused, dropped, server restarting): retrying later will work."""
    return isinstance(exc, ConnectionError | InterfaceError) or (isinstance(exc, DBAPIError) and exc.connection_invalidated)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit and begin their transaction at the first write."""
    pool = engine.sync_engine.pool
    if pool not in _LAZY_POOLS:
        event.listen(engine.sync_engine, "before_cursor_execute", _begin_before_writes)
        event.listen(pool, "checkin", _forget_deferred_begin)
        _LAZY_POOLS.add(pool)
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=LazySession)


class LazySession(SyncSession):
    """A session whose database transaction begins at its first statement that writes or locks."""


_LAZY_POOLS: weakref.WeakSet[Any] = weakref.WeakSet()  # pools whose engine sends BEGIN before a deferred write
_DEFERRED = "talentkit.deferred_begin"
_NOT_A_PLAIN_READ = re.compile(r"\bFOR\s+(NO\s+KEY\s+UPDATE|UPDATE|KEY\s+SHARE|SHARE)\b|advisory|pg_notify|nextval|setval"
                               r"|set_config|txid_current|pg_current_xact_id", re.IGNORECASE)


@event.listens_for(LazySession, "after_begin")
def _defer_begin(session: SyncSession, transaction: Any, connection: Any) -> None:
    dbapi = connection.connection.dbapi_connection
    if (connection.engine.pool in _LAZY_POOLS and getattr(dbapi, "_transaction", True) is None  # asyncpg's adapter, idle
            and not dbapi.autocommit):
        dbapi.autocommit = True  # until a write: the adapter sends no BEGIN
        connection.info[_DEFERRED] = True


PLAIN_READ = {"talentkit_plain_read": True}  # `text(...).execution_options(**PLAIN_READ)`: a text its author vouches reads only
# A write that is its session's only statement (one statement is atomic by itself): sent without a BEGIN, so it
# commits as it runs and the session's commit costs nothing. A write after it in the same session would start a
# transaction of its own, so only a session's one write may say so (another write after it raises).
ONE_STATEMENT = {"talentkit_one_statement": True}


def _plain_read(statement: str, context: Any) -> bool:
    """A SELECT construct (not text: it may call anything, unless marked `PLAIN_READ`) that locks nothing and calls
    nothing known to write."""
    compiled = getattr(context, "compiled", None)
    if compiled is None:
        return False
    if isinstance(compiled.statement, Select):
        return _reads_only(statement)
    return bool(context.execution_options.get("talentkit_plain_read")) and not _NOT_A_PLAIN_READ.search(statement)


@functools.lru_cache(maxsize=4096)  # a service sends a few hundred distinct statements; each is scanned once
def _reads_only(statement: str) -> bool:
    return statement.lstrip()[:6].upper() == "SELECT" and not _NOT_A_PLAIN_READ.search(statement)


def _begin_before_writes(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool) -> None:
    if not conn.info.get(_DEFERRED) or _plain_read(statement, context):
        return
    if conn.info.get(_ONE_SENT):  # it committed on its own: this write could not be rolled back with it
        raise RuntimeError("a write after a ONE_STATEMENT write in the same session")
    if getattr(context, "execution_options", {}).get("talentkit_one_statement"):
        conn.info[_ONE_SENT] = True  # sent without BEGIN
        return
    del conn.info[_DEFERRED]
    conn.connection.dbapi_connection.autocommit = False  # the adapter sends BEGIN before this statement


_ONE_SENT = "talentkit.one_statement_sent"


def _forget_deferred_begin(dbapi_connection: Any, record: Any) -> None:
    record.info.pop(_ONE_SENT, None)
    if record.info.pop(_DEFERRED, None) and dbapi_connection is not None:
        dbapi_connection.autocommit = False


async def _request_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    """The request's unit of work: one transaction, committed (with the events it recorded) when the route
    returns, before the response is sent; rolled back when the route raises."""
    async with request.app.state.uow_factory() as uow:
        yield uow
        if uow.ctx is None:  # set by `auth.require` once the caller is known
            uow.ctx = getattr(request.state, "ctx", None)
        await uow.commit()


UoW = Annotated[UnitOfWork, Depends(_request_uow, scope="function")]


async def _request_session(uow: UoW) -> AsyncSession:
    return uow.session


Session = Annotated[AsyncSession, Depends(_request_session, scope="function")]
"""The request's session, inside its unit of work (for the platform's own dependencies: auth, idempotency)."""
