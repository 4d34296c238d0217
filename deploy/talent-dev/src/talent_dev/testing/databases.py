"""Migrated databases for tests, made by copying a template instead of migrating each one.

A service's migrations run once per test session, into a template database (`tmpl_ats`, `tmpl_crm`,
`tmpl_gateway`) that nothing may connect to afterwards; every database a test asks for is then a copy of it
(`CREATE DATABASE … TEMPLATE … STRATEGY FILE_COPY`): the schema and seed rows `alembic upgrade head` gives, in a
fraction of the time (see STRATEGY). PostgreSQL copies a template only while no one is connected to it, hence
`ALLOW_CONNECTIONS false` once it is migrated.

The next copy of each template is made in a background thread while the tests run (a spare) and only renamed when
a test asks for it: in the gateway's suite (24 copies) tests waited 1.5 s for their databases instead of 10.3 s; in
shared-schemas' (43 copies, three of them while migrating the templates) 7.5 s instead of 23.4 s.
"""
from __future__ import annotations

import contextlib
import hashlib
import itertools
import re
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor

from talent_dev.localstack import SERVICES, create_database, db_url, run_coro

# FILE_COPY copies the template's files between two checkpoints; WAL_LOG (PostgreSQL's default) writes each of its
# blocks to the WAL. On the test server (fsync off) a copy of a ~10 MB template took 0.2-0.5 s either way, against
# 2-3 s for the migrations.
STRATEGY = "FILE_COPY"
_PREFIX = {directory: prefix for _, directory, prefix, _, _ in SERVICES}  # ats-service -> ATS_
_SHORT = {directory: name for name, directory, _, _, _ in SERVICES}  # ats-service -> ats
_NOT_IN_A_NAME = re.compile(r"[^a-z0-9_]+")
_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
MAX_NAME = 63  # PostgreSQL's identifier limit, in bytes


def database_name(*parts: str) -> str:
    """A valid, readable database name from `parts` (a suite's prefix, a test module's or test's name): lower
    case, other characters as `_`; a longer one is cut and ends in a hash of the whole, so two stay apart."""
    name = _NOT_IN_A_NAME.sub("_", "_".join(parts).lower()).strip("_") or "db"
    if name[0].isdigit():
        name = f"db_{name}"
    if len(name) > MAX_NAME:
        name = f"{name[:MAX_NAME - 9].rstrip('_')}_{hashlib.sha1(name.encode()).hexdigest()[:8]}"
    return name


class Templates:
    """The session's template databases, migrated on first use, and the copies tests get of them."""

    def __init__(self, admin_url: str, migrate: Callable[[str, str, str], None]) -> None:
        self.admin_url, self._migrate = admin_url, migrate  # migrate(service_dir, database_url, env_prefix)
        self._made: set[str] = set()
        self._live: set[str] = set()  # copies handed out and not dropped yet
        self._spares: dict[str, Future[str]] = {}
        self._maker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spare-database")
        self._numbers = itertools.count(1)

    def template(self, service_dir: str) -> str:
        """The name of the service's template database, made (dropped first if a past session left one) and
        migrated the first time it is asked for."""
        if service_dir not in _PREFIX:
            raise ValueError(f"no migrations known for {service_dir!r}; one of {sorted(_PREFIX)}")
        name = f"tmpl_{_SHORT[service_dir]}"
        if name not in self._made:
            self._drop(name)
            create_database(self.admin_url, name)
            self._migrate(service_dir, db_url(self.admin_url, name), _PREFIX[service_dir])
            self._execute(f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false')
            self._made.add(name)
        return name

    def copy(self, service_dir: str, name: str) -> str:
        """A new database `name` (replacing one a past session left) at the migrations' head of `service_dir`;
        returns its postgresql+asyncpg:// URL. Two copies alive at once never share a name."""
        if not _NAME.fullmatch(name) or name.startswith(("tmpl_", "spare_")):
            raise ValueError(f"bad database name {name!r}")
        if name in self._live:
            raise ValueError(f"database {name!r} is in use by another test or module: give it another name")
        template = self.template(service_dir)
        spare = self._spares.pop(service_dir, None)
        if spare is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                          f'ALTER DATABASE "{spare.result()}" RENAME TO "{name}"')
        else:
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                          f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY {STRATEGY}')
        self._live.add(name)
        self._spares[service_dir] = self._maker.submit(self._spare, template)
        return db_url(self.admin_url, name)

    def drop(self, name: str) -> None:
        """Drop a copy (closing any connection still open to it)."""
        if name.startswith("tmpl_"):
            raise ValueError(f"{name!r} is a template: it lives as long as the session")
        self._live.discard(name)
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def close(self) -> None:
        """Drop the spares (the templates go with the session's server; on an external one the next session makes
        them again)."""
        for spare in self._spares.values():
            with contextlib.suppress(Exception):  # the session is over: nothing depends on a spare
                self._execute(f'DROP DATABASE IF EXISTS "{spare.result()}" WITH (FORCE)')
        self._spares.clear()
        self._maker.shutdown()

    def _spare(self, template: str) -> str:
        """A copy of `template` under a name of its own, for the next `copy` to rename (in the background thread)."""
        name = f"spare_{template.removeprefix('tmpl_')}_{next(self._numbers)}"
        self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
                      f'CREATE DATABASE "{name}" TEMPLATE "{template}" STRATEGY {STRATEGY}')
        return name

    def _drop(self, name: str) -> None:
        # a template cannot be dropped: first make it an ordinary database again
        self._execute(f"""DO $$ BEGIN
                            IF EXISTS (SELECT FROM pg_database WHERE datname = '{name}' AND datistemplate) THEN
                              ALTER DATABASE "{name}" WITH IS_TEMPLATE false;
                            END IF;
                          END $$""",
                      f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _execute(self, *statements: str) -> None:
        admin_url = self.admin_url

        async def go() -> None:
            import asyncpg

            conn = await asyncpg.connect(admin_url)
            try:
                for sql in statements:
                    await conn.execute(sql)
            finally:
                await conn.close()

        run_coro(go)
