"""The gateway in-process (real PostgreSQL and Kafka, the real lifespan) on a migrated database of its own per use.

The peers (ATS, CRM) are not running in these tests: their urls point at a closed port, so any peer call is a
PeerUnavailable, as when they are down. The consumer is off unless a test turns it on.

Isolation: every `start_gateway(name)` gets a database of its own (a copy of the session's migrated template,
dropped when the block ends), a module's fixture one per module; `database_url=` starts a second replica on the
same one. Kafka topics are shared: a test reads only records with its own ids, or a topic named for it."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sync_gateway.config import Settings
from sync_gateway.main import create_app
from sync_gateway.webhooks.config import WebhookSettings
from talent_dev.testing import free_port, running_app


@dataclass
class RunningGateway:
    app: FastAPI
    client: httpx.AsyncClient  # with the admin key
    database_url: str
    admin_key: str
    db: AsyncEngine  # a separate engine, for arranging and checking rows directly


GatewayFactory = Callable[..., AbstractAsyncContextManager[RunningGateway]]


@pytest.fixture(scope="session")
def start_gateway(talent_stack: Any) -> GatewayFactory:
    """`async with start_gateway("name", **settings) as gw:` a gateway on a database of its own, `gw_<name>`;
    `database_url=` instead reuses an existing one (a second replica)."""

    @asynccontextmanager
    async def start(name: str, database_url: str | None = None, **overrides: Any) -> AsyncIterator[RunningGateway]:
        with ExitStack() as own:
            if database_url is None:
                database_url = own.enter_context(talent_stack.database("sync-gateway", "gw", name))
            admin_key = f"gw-it-{uuid.uuid4().hex}"
            closed = f"http://127.0.0.1:{free_port()}"
            settings = Settings.model_validate({
                "database_url": database_url, "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
                "TALENT_ADMIN_API_KEY": admin_key, "consumer_enabled": False, "ats_url": closed, "crm_url": closed,
                "http_timeout_seconds": 2, **overrides})
            app = create_app(settings, WebhookSettings(enabled=False))  # webhooks have their own suite
            db = create_async_engine(database_url)
            try:
                async with running_app(app, headers={"Authorization": f"Bearer {admin_key}"}) as client:
                    yield RunningGateway(app, client, database_url, admin_key, db)
            finally:
                await db.dispose()
    return start
