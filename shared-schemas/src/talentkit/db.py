"""Engine, sessions and the tables every service has: outbox, processed events, idempotency keys, API keys (and
OAuth clients), rate-limit buckets."""
from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

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
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

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


def platform_tables(metadata: MetaData) -> PlatformTables:
    """Declare the platform's own tables in a service's metadata (so its migrations create them)."""
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
    return PlatformTables(outbox, processed, idempotency, api_keys, rate_limits)


def create_engine(url: str, *, pool_timeout: float = 30.0) -> AsyncEngine:
    """An asyncpg engine sized for one service process; `pool_timeout`: the longest wait for a pooled connection."""
    return create_async_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True, pool_timeout=pool_timeout)


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)


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
