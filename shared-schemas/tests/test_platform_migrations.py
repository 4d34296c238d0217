"""Each service's migrations create the platform tables exactly as `talentkit.db.platform_tables` declares them."""
from __future__ import annotations

import importlib

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

PLATFORM_TABLES = {"outbox", "processed_events", "idempotency_keys", "api_keys", "rate_limit_buckets"}


def platform_only(obj, name, kind, reflected, compare_to) -> bool:  # type: ignore[no-untyped-def]
    table = name if kind == "table" else getattr(getattr(obj, "table", None), "name", None)
    return table in PLATFORM_TABLES


@pytest.mark.parametrize(("service", "module"), [("ats", "ats"), ("crm", "crm"), ("gateway", "sync_gateway")])
async def test_migrated_platform_tables_match_the_declared_ones(platform_dbs, service, module):
    importlib.import_module(f"{module}.models")  # every table of the service mapped: only the platform ones compared
    metadata = importlib.import_module(f"{module}.db").Base.metadata
    engine = create_async_engine(platform_dbs[service])
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync, opts={
                "compare_type": True, "include_object": platform_only}), metadata))
    finally:
        await engine.dispose()
    assert diff == []
