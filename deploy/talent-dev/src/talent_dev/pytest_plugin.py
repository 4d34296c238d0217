"""pytest plugin (entry point `talent_stack` of the talent-dev package): real PostgreSQL and Kafka for the test suite.

Importing this module starts nothing; the session fixture `talent_stack` starts PostgreSQL (fast, non-durable mode)
and a single-node Kafka on free ports the first time a test asks for it, with data under
`<repo>/.local/test-stack/<session>/`, and stops both at the end of the session. `TEST_DATABASE_URL` (an admin
PostgreSQL URL) and `TEST_KAFKA_BOOTSTRAP_SERVERS` use external servers instead. `TALENT_TEST_STACK=off` (set by
`make test-unit`) makes a test that asks for the stack fail instead of starting it.
"""
from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from talent_dev.testing.ports import free_port


def pytest_configure(config: pytest.Config) -> None:
    """Tests only ever send to this machine: every gateway a test builds in-process (fuzzers included) refuses
    webhook destinations other than loopback, whatever the shell says (processes: `ServiceProcess`)."""
    from talent_dev.testing.apps import LOOPBACK_ONLY

    os.environ.update(LOOPBACK_ONLY)


@dataclass
class TalentStack:
    admin_url: str  # postgresql://postgres@127.0.0.1:<port>/postgres
    kafka_bootstrap: str
    repo_root: Path
    venv_bin: Path = field(default_factory=lambda: Path(sys.executable).parent)

    def fresh_database(self, name: str) -> str:
        """Drop and create database `name`; returns its postgresql+asyncpg:// URL."""
        from talent_dev.localstack import create_database, db_url

        create_database(self.admin_url, name, fresh=True)
        return db_url(self.admin_url, name)

    def migrate(self, service_dir: str, database_url: str, env_prefix: str) -> None:
        """alembic upgrade head for <repo>/<service_dir>/alembic.ini with <env_prefix>DATABASE_URL=database_url."""
        from talent_dev.localstack import migrate

        migrate(self.repo_root, service_dir, database_url, env_prefix, bin_dir=self.venv_bin)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _clean_stale_sessions(base: Path) -> None:
    """Remove the dirs of earlier sessions whose pytest is gone (stopping what they left running)."""
    from talent_dev.localstack import stop_postgres, stop_stale_kafka

    if not base.is_dir():
        return
    for d in base.iterdir():
        try:
            owner = int(d.name.rsplit("-", 1)[-1])
        except ValueError:
            owner = None
        if owner is not None and owner != os.getpid() and _pid_alive(owner):
            continue  # another pytest session in this checkout, still running
        stop_postgres(d / "postgres" / "data")
        stop_stale_kafka(d / "kafka")
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def talent_stack() -> Iterator[TalentStack]:
    """PostgreSQL and Kafka for the session, started on first use (refused under `TALENT_TEST_STACK=off`)."""
    if os.environ.get("TALENT_TEST_STACK") == "off":
        pytest.fail("this test needs PostgreSQL and Kafka: it belongs beside the integration tests, not in a unit "
                    "folder (TALENT_TEST_STACK=off)", pytrace=False)
    from talent_dev import localstack as ls

    repo = ls.repo_root()
    base = repo / ".local" / "test-stack"
    _clean_stale_sessions(base)
    session_dir = base / f"session-{os.getpid()}"
    session_dir.mkdir(parents=True, exist_ok=True)
    pg_dir = session_dir / "postgres" / "data"
    kafka = None
    started_pg = False
    try:
        admin_url = os.environ.get("TEST_DATABASE_URL")
        if not admin_url:
            admin_url = ls.start_postgres(pg_dir, free_port(), fast=True)
            started_pg = True
        bootstrap = os.environ.get("TEST_KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            port, controller = free_port(), free_port()
            while controller == port:
                controller = free_port()
            kafka = ls.start_kafka(session_dir / "kafka", port, controller, ls.fetch_kafka(repo))
            bootstrap = f"127.0.0.1:{port}"
        yield TalentStack(admin_url=admin_url.replace("postgresql+asyncpg://", "postgresql://"),
                          kafka_bootstrap=bootstrap, repo_root=repo)
    finally:
        ls.stop_kafka(kafka)
        if started_pg:
            ls.stop_postgres(pg_dir)
        shutil.rmtree(session_dir, ignore_errors=True)
