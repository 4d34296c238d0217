"""pytest plugin (entry point `talent_stack` of the talent-dev package): real PostgreSQL and Kafka for the test suite.

Importing this module starts nothing; the session fixture `talent_stack` starts PostgreSQL (fast, non-durable mode)
and a single-node Kafka on free ports the first time a test asks for it, with data under
`<repo>/.local/test-stack/<session>/`, and stops both at the end of the session. `TEST_DATABASE_URL` (an admin
PostgreSQL URL) and `TEST_KAFKA_BOOTSTRAP_SERVERS` use external servers instead. `TALENT_TEST_STACK=off` (set by
`make test-unit`) makes a test that asks for the stack fail instead of starting it.

What is isolated at which level, and why:

- PostgreSQL: each service's migrations run once per session, into a template database; every database a test gets
  (`TalentStack.database`) is a copy of it, dropped when its test or module is done (`talent_dev.testing.databases`:
  a copy is ready in a fraction of a second, a migration takes 2-3 s). Not a transaction rolled back per test: the
  apps commit their own transactions, and their outbox relays, LISTEN/NOTIFY, advisory locks and worker processes
  only ever see committed rows.
- An app harness (`ats`, `crm`, `crm_process`, a module's `gw`) gets a database per test module, the app rebuilt
  with it (its real lifespan: relay, workers), as do the replicas shared-schemas' tests start (`platform_dbs`): a
  fresh app per test would cost more than most tests take. A test that drives the database without an app
  (`ats_database` in shared-schemas, the gateway's webhook `db`) and every `start_gateway(...)` get one of their own.
- Kafka: one broker for the session, topics shared. A test reads only what it made: records keyed by its own ids
  (`events_for`, `read_topic(match=...)`), or a topic with a random name of its own.
- The servers themselves (roles, settings, the SMTP sink of a suite that keeps one per session) are shared.
"""
from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from talent_dev.testing.ports import free_port

if TYPE_CHECKING:
    from talent_dev.testing.databases import Templates


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
    templates: Templates = field(init=False, repr=False)

    def __post_init__(self) -> None:
        from talent_dev.testing.databases import Templates

        self.templates = Templates(self.admin_url, self.migrate)

    @contextmanager
    def database(self, service_dir: str, *name: str) -> Iterator[str]:
        """`with talent_stack.database("ats-service", "ats", request.path.stem) as url:` a database of its own at
        the migrations' head of `service_dir` (a copy of the session's template), dropped at the end of the block;
        `name` parts make its (readable, unique) name."""
        from talent_dev.testing.databases import database_name

        db = database_name(*name)
        url = self.templates.copy(service_dir, db)
        try:
            yield url
        finally:
            self.templates.drop(db)

    def fresh_database(self, name: str) -> str:
        """Drop and create database `name`, empty; returns its postgresql+asyncpg:// URL."""
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
        stack = TalentStack(admin_url=admin_url.replace("postgresql+asyncpg://", "postgresql://"),
                            kafka_bootstrap=bootstrap, repo_root=repo)
        try:
            yield stack
        finally:
            stack.templates.close()
    finally:
        ls.stop_kafka(kafka)
        if started_pg:
            ls.stop_postgres(pg_dir)
        shutil.rmtree(session_dir, ignore_errors=True)
