"""The ATS's Alembic migrations build exactly the tables its models declare."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from ats.models import Base
from sqlalchemy.ext.asyncio import create_async_engine


async def test_the_migrated_database_matches_the_models(ats):
    engine = create_async_engine(ats.database_url)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(lambda sync: compare_metadata(
                MigrationContext.configure(sync, opts={"compare_type": True, "compare_server_default": False}), Base.metadata))
    finally:
        await engine.dispose()
    assert diff == []
