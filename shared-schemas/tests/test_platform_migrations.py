"""Each service's migrations create the platform tables exactly as `talentkit.db.platform_tables` declares them."""
from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

PLATFORM_TABLES = {"outbox", "processed_events", "idempotency_keys", "api_keys", "rate_limit_buckets"}


@pytest.mark.parametrize(("service", "module"), [("ats", "ats.db"), ("crm", "crm.db"), ("gateway", "sync_gateway.db")])
async def test_migrated_platform_tables_match_the_declared_ones(platform_dbs, service, module):
    metadata = importlib.import_module(module).Base.metadata
    engine = create_async_engine(platform_dbs[service])
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync, opts={
                "compare_type": True, "include_name": lambda name, kind, _: kind != "table" or name in PLATFORM_TABLES,
            }), metadata))
    finally:
        await engine.dispose()
    assert diff == []
