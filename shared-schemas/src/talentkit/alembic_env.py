"""Alembic's env.py, written once: each service's migrations/env.py calls `run_migrations`."""
from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import MetaData, pool
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import async_engine_from_config


def run_migrations(target_metadata: MetaData, database_url: str) -> None:
    """Run offline (SQL script) or online (against `database_url`, asyncpg) migrations."""
    config = context.config
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    if context.is_offline_mode():
        context.configure(url=database_url, target_metadata=target_metadata, literal_binds=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def do_run(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run_async() -> None:
        engine = async_engine_from_config(config.get_section(config.config_ini_section, {}), prefix="sqlalchemy.",
                                          poolclass=pool.NullPool)
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    asyncio.run(run_async())
