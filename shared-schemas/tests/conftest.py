"""Platform fixtures: migrated databases of the three services and apps built on them (several replicas of one
service share one database, like pods do), driven over ASGI with their real lifespan.

Isolation: `platform_dbs` are the test module's own databases (copies of the session's migrated templates, made
when a test of the module first asks for that service's), shared by the module's tests and their replicas; a test
that works on the ATS schema without an app (`ats_database`: outbox, unit of work, consumers) gets a database of
its own. Kafka topics are shared: a test publishes to and reads from topics with names of its own."""
from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, ExitStack, asynccontextmanager
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from talent_dev.testing import running_app

ADMIN_KEY = "platform-admin-" + uuid.uuid4().hex
GATEWAY_KEY = "platform-gateway-" + uuid.uuid4().hex
SERVICES = {"ats": "ats-service", "crm": "crm-service", "gateway": "sync-gateway"}
AppFactory = Callable[..., AbstractAsyncContextManager[httpx.AsyncClient]]


def build(service: str, url: str, kafka: str, **settings: Any) -> Any:
    """The service's app on database `url`; `settings` override (by field name or env alias)."""
    values = {"database_url": url, "KAFKA_BOOTSTRAP_SERVERS": kafka, "TALENT_ADMIN_API_KEY": ADMIN_KEY,
              "TALENT_GATEWAY_API_KEY": GATEWAY_KEY, "relay_enabled": False, **settings}
    if service == "ats":
        from ats.config import Settings
        from ats.main import create_app
    elif service == "crm":
        from crm.config import Settings
        from crm.main import create_app
    else:
        from sync_gateway.config import Settings
        from sync_gateway.main import create_app
        values.setdefault("consumer_enabled", False)
    return create_app(Settings.model_validate(values))


class ModuleDatabases(Mapping[str, str]):
    """The URLs of a test module's databases by service (`ats`, `crm`, `gateway`), each made on first use."""

    def __init__(self, talent_stack: Any, module: str, made: ExitStack) -> None:
        self.talent_stack, self.module, self.made = talent_stack, module, made
        self.urls: dict[str, str] = {}

    def __getitem__(self, service: str) -> str:
        if service not in self.urls:
            self.urls[service] = self.made.enter_context(
                self.talent_stack.database(SERVICES[service], "platform", service, self.module))
        return self.urls[service]

    def __iter__(self) -> Iterator[str]:
        return iter(SERVICES)

    def __len__(self) -> int:
        return len(SERVICES)


@pytest.fixture(scope="module")
def platform_dbs(talent_stack, request) -> Iterator[ModuleDatabases]:
    """The module's migrated database of each service, made when first asked for."""
    with ExitStack() as made:
        yield ModuleDatabases(talent_stack, request.path.stem, made)


@pytest.fixture
def ats_database(talent_stack, request) -> Iterator[str]:
    """A database of this test's own, at the ATS's migrations' head (the platform tables and a real schema)."""
    with talent_stack.database("ats-service", "platform", request.path.stem, request.node.name) as url:
        yield url


@pytest_asyncio.fixture(loop_scope="session")
async def replica(platform_dbs, talent_stack) -> AppFactory:
    """`async with replica("ats", **settings) as client:` one running replica of a service (no default auth)."""

    @asynccontextmanager
    async def start(service: str = "ats", **settings: Any) -> AsyncIterator[httpx.AsyncClient]:
        app = build(service, platform_dbs[service], talent_stack.kafka_bootstrap, **settings)
        async with running_app(app) as client:
            client.app = app  # type: ignore[attr-defined]
            yield client

    return start


def bearer(key: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", **headers}


ADMIN = bearer(ADMIN_KEY)


async def new_key(client: httpx.AsyncClient, *scopes: str, by: dict[str, str] = ADMIN, name: str | None = None,
                  rate_limit: int | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"name": name or f"k-{uuid.uuid4().hex[:8]}", "scopes": list(scopes)}
    if rate_limit is not None:
        body["rate_limit"] = rate_limit
    r = await client.post("/v1/api-keys", json=body, headers=by)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def kit() -> SimpleNamespace:
    """The helpers above, for test modules (conftest is not importable under --import-mode=importlib; what every
    suite shares is in talent_dev.testing)."""
    return SimpleNamespace(ADMIN=ADMIN, ADMIN_KEY=ADMIN_KEY, GATEWAY_KEY=GATEWAY_KEY, bearer=bearer, new_key=new_key)
