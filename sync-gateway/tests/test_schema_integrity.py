"""The gateway's schema: models and migrations agree, and nothing in it can block an erasure or a merge."""
import uuid

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sync_gateway.models import Base


async def test_models_and_migrations_agree(start_gateway):
    async with start_gateway("schema_agree") as gw, gw.db.connect() as conn:
        diff = await conn.run_sync(lambda sync: compare_metadata(MigrationContext.configure(sync), Base.metadata))
    assert diff == []


async def test_no_foreign_key_blocks_deleting_a_link(start_gateway):
    """Erasure and merges delete links: every row pointing at a link must let go of it (flows 7 and 8)."""
    async with start_gateway("schema_fks") as gw, gw.db.connect() as conn:
        blocking = (await conn.execute(text(
            "SELECT conrelid::regclass::text, conname FROM pg_constraint "
            "WHERE contype = 'f' AND confrelid = 'links'::regclass AND confdeltype IN ('a', 'r')"))).all()
    assert blocking == []


async def test_a_deleted_links_conflicts_stay_in_the_log_without_their_link(start_gateway):
    async with start_gateway("schema_conflicts") as gw, gw.db.begin() as conn:
        link_id = uuid.uuid4()
        await conn.execute(text("INSERT INTO links (id, ats_candidate_id, crm_prospect_id, matched_by, confidence) "
                                "VALUES (:id, :a, :c, 'email', 1.0)"), {"id": link_id, "a": uuid.uuid4(), "c": uuid.uuid4()})
        await conn.execute(text("INSERT INTO conflicts (id, link_id, field, ats_value, crm_value, rule, winner, event_id) "
                                "VALUES (:id, :link, 'last_name', '\"A\"', '\"B\"', 'two_way', 'ats', 'e1')"),
                           {"id": uuid.uuid4(), "link": link_id})
        await conn.execute(text("DELETE FROM links WHERE id = :id"), {"id": link_id})
        rows = (await conn.execute(text("SELECT link_id, field, rule, winner FROM conflicts WHERE event_id = 'e1'"))).all()
    assert [tuple(r) for r in rows] == [(None, "last_name", "two_way", "ats")]
