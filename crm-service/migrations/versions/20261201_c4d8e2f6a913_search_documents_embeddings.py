"""prospect search documents (a stored generated column), embeddings in pgvector (HNSW) and embedding requests
queued by a trigger

Revision ID: c4d8e2f6a913
Revises: 08e57f1735e2
Create Date: 2026-12-02 00:00:00
"""
import sqlalchemy as sa
from alembic import op
from crm.search.document import DOCUMENT, JOIN_FUNCTION
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql
from talentkit.search.sql import LOWER_ARRAY_FUNCTION

revision = 'c4d8e2f6a913'
down_revision = '08e57f1735e2'
branch_labels = None
depends_on = None

# A change of what the embedding is computed from queues the prospect (also a merge or an erasure: the worker then
# drops the embedding). clock_timestamp, not now(): two edits in one transaction still differ.
QUEUE = ["""
CREATE OR REPLACE FUNCTION crm_request_embedding() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO embedding_requests (prospect_id, requested_at) VALUES (NEW.id, clock_timestamp())
    ON CONFLICT (prospect_id) DO UPDATE SET requested_at = EXCLUDED.requested_at;
    RETURN NULL;
END $$""", """
CREATE TRIGGER prospect_embedding_request AFTER INSERT OR UPDATE OF headline, current_title, current_company,
    skills, status, merged_into_id ON prospects FOR EACH ROW EXECUTE FUNCTION crm_request_embedding()"""]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute(LOWER_ARRAY_FUNCTION)
    op.execute(JOIN_FUNCTION)
    op.add_column('prospects', sa.Column('search_document', postgresql.TSVECTOR(), sa.Computed(DOCUMENT, persisted=True)))
    op.create_index('ix_prospects_search_document', 'prospects', ['search_document'], postgresql_using='gin')
    for column in ("current_title", "current_company", "location"):
        op.execute(f"CREATE INDEX ix_prospects_{column}_text ON prospects USING gin "
                   f"(to_tsvector('english'::regconfig, COALESCE({column}, ''::text)))")
    for column in ("skills", "tags"):
        op.execute(f"CREATE INDEX ix_prospects_{column}_lower ON prospects USING gin (talent_lower_array({column}))")
    op.create_table(
        'prospect_embeddings',
        sa.Column('prospect_id', sa.Uuid(), nullable=False),
        sa.Column('embedding', Vector(384), nullable=False),
        sa.Column('text_sha256', sa.Text(), nullable=False),
        sa.Column('model', sa.Text(), nullable=False),
        sa.Column('embedded_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], ondelete='CASCADE',
                                name=op.f('fk_prospect_embeddings_prospect_id_prospects')),
        sa.PrimaryKeyConstraint('prospect_id', name=op.f('pk_prospect_embeddings')),
    )
    op.create_index('ix_prospect_embeddings_hnsw', 'prospect_embeddings', ['embedding'], postgresql_using='hnsw',
                    postgresql_ops={'embedding': 'vector_cosine_ops'})
    op.create_table(
        'embedding_requests',
        sa.Column('prospect_id', sa.Uuid(), nullable=False),
        sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('leased_until', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], ondelete='CASCADE',
                                name=op.f('fk_embedding_requests_prospect_id_prospects')),
        sa.PrimaryKeyConstraint('prospect_id', name=op.f('pk_embedding_requests')),
    )
    op.create_index(op.f('ix_embedding_requests_requested_at'), 'embedding_requests', ['requested_at'])
    for statement in QUEUE:
        op.execute(statement)
    op.execute("INSERT INTO embedding_requests (prospect_id, requested_at) SELECT id, now() FROM prospects "
               "WHERE merged_into_id IS NULL AND status <> 'erased'")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS prospect_embedding_request ON prospects")
    op.execute("DROP FUNCTION IF EXISTS crm_request_embedding()")
    op.drop_table('embedding_requests')
    op.drop_table('prospect_embeddings')
    for name in ("search_document", "current_title_text", "current_company_text", "location_text", "skills_lower", "tags_lower"):
        op.execute(f"DROP INDEX IF EXISTS ix_prospects_{name}")
    op.drop_column('prospects', 'search_document')
