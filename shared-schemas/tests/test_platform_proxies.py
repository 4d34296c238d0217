"""The client address is believed from X-Forwarded-For only when the peer is a configured proxy, in the app (ASGI)
and as launched (uvicorn must not trust 127.0.0.1 on its own); the CRM's public-page limit per address is one
limit across replicas. The CRM's public form is the vehicle: its rate limit is checked before anything else."""
from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from talent_dev.testing import ServiceProcess, free_port

FORM = "/public/talent-community"


_NEXT = itertools.count(random.randrange(256 * 254))  # one sequence for the module: no address is handed out twice


def addresses() -> Iterator[str]:
    """Fresh public-looking addresses (each test gets its own, so buckets never collide across tests)."""
    while True:
        n = next(_NEXT) % (256 * 254)
        yield f"203.0.{n // 254}.{n % 254 + 1}"


def peer(client: httpx.AsyncClient, ip: str) -> httpx.AsyncClient:
    """A client of the same app connecting from `ip` (what the server sees as the TCP peer)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=client.app, client=(ip, 40000)),  # type: ignore[attr-defined]
                             base_url="http://service")


async def post_form(client: httpx.AsyncClient, forwarded_for: str | None = None) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    r = await client.post(FORM, data={"first_name": "Eve"}, headers=headers)
    return r.status_code  # 403 (no CSRF token) while within the limit, 429 past it


@pytest.fixture
def public_limit(monkeypatch):
    monkeypatch.setenv("CRM_PUBLIC_RATE_LIMIT_PER_MINUTE", "3")


async def test_without_trusted_proxies_rotating_x_forwarded_for_does_not_escape_the_limit(replica, public_limit):
    ips = addresses()
    async with replica("crm") as crm, peer(crm, next(ips)) as attacker:
        assert [await post_form(attacker, next(ips)) for _ in range(5)] == [403, 403, 403, 429, 429]


async def test_behind_a_trusted_proxy_the_forwarded_client_is_the_one_limited(replica, public_limit):
    ips = addresses()
    async with replica("crm", TALENT_TRUSTED_PROXIES="10.20.0.0/16") as crm, peer(crm, "10.20.1.2") as proxy:
        assert [await post_form(proxy, next(ips)) for _ in range(6)] == [403] * 6  # six clients, one hit each
        one = next(ips)
        assert [await post_form(proxy, f"{one}, 10.20.1.1") for _ in range(4)] == [403, 403, 403, 429]
        async with peer(crm, next(ips)) as not_a_proxy:  # anyone else's header is ignored
            assert [await post_form(not_a_proxy, next(ips)) for _ in range(4)] == [403, 403, 403, 429]


async def test_the_public_page_limit_is_one_limit_across_replicas(replica, public_limit):
    ip = next(addresses())
    async with replica("crm") as a, replica("crm") as b, peer(a, ip) as via_a, peer(b, ip) as via_b:
        assert [await post_form(c) for c in (via_a, via_b, via_a, via_b, via_a)] == [403, 403, 403, 429, 429]


async def test_launched_services_believe_forwarded_headers_only_from_configured_proxies(platform_dbs, talent_stack, tmp_path):
    env = {"CRM_DATABASE_URL": platform_dbs["crm"], "KAFKA_BOOTSTRAP_SERVERS": talent_stack.kafka_bootstrap,
           "TALENT_ADMIN_API_KEY": uuid.uuid4().hex, "CRM_RELAY_ENABLED": "false", "CRM_SCHEDULER_ENABLED": "false",
           "CRM_PUBLIC_RATE_LIMIT_PER_MINUTE": "2", "TALENT_TRUSTED_PROXIES": ""}
    ips = addresses()
    for trusted, expected in (("", [403, 403, 429, 429]), ("127.0.0.1", [403, 403, 403, 403])):
        service = ServiceProcess(factory="crm.main:create_app", port=free_port(), env={**env, "TALENT_TRUSTED_PROXIES": trusted},
                                 log_path=tmp_path / "crm.log", bin_dir=talent_stack.venv_bin)
        await asyncio.to_thread(service.start)
        try:
            async with httpx.AsyncClient(base_url=service.url) as client:
                assert [await post_form(client, next(ips)) for _ in range(4)] == expected, trusted
        finally:
            await asyncio.to_thread(service.stop)


def test_every_deployed_uvicorn_leaves_proxy_headers_to_the_app():
    root = Path(__file__).resolve().parents[2]
    commands = [(path.name, line.strip()) for path in (root / "docker-compose.yml", *sorted((root / "deploy/k8s").glob("*.yaml")))
                for line in path.read_text().splitlines() if "uvicorn" in line and "--factory" in line]
    assert len(commands) == 6, commands  # three services in compose, three in k8s
    for name, command in commands:
        assert "--no-proxy-headers" in command, f"{name}: {command}"
    for config in ("docker-compose.yml", "deploy/k8s/configmap.yaml"):
        assert "TALENT_TRUSTED_PROXIES" in (root / config).read_text(), config
