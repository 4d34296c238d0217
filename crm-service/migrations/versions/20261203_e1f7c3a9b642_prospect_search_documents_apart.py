"""prospect search documents apart: `prospect_search` holds a copy of each prospect's search document (kept by
triggers in the statement that changes it) with its own GIN index, so that Boolean search ranks over narrow rows

Revision ID: e1f7c3a9b642
Revises: 9c4a2e7b5d18
Create Date: 2026-12-03 02:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'e1f7c3a9b642'
down_revision = '9c4a2e7b5d18'
branch_labels = None
depends_on = None

# AFTER triggers see the stored generated column computed; an update that leaves the document as it was writes
# nothing here.
TRIGGERS = ["""
CREATE OR REPLACE FUNCTION crm_copy_search_document() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO prospect_search (prospect_id, document, updated_at) VALUES (NEW.id, NEW.search_document, clock_timestamp())
    ON CONFLICT (prospect_id) DO UPDATE SET document = EXCLUDED.document, updated_at = EXCLUDED.updated_at;
    RETURN NULL;
END $$""", """
CREATE TRIGGER prospect_search_on_insert AFTER INSERT ON prospects
    FOR EACH ROW EXECUTE FUNCTION crm_copy_search_document()""", """
CREATE TRIGGER prospect_search_on_update AFTER UPDATE ON prospects
    FOR EACH ROW WHEN (OLD.search_document IS DISTINCT FROM NEW.search_document)
    EXECUTE FUNCTION crm_copy_search_document()"""]


def upgrade() -> None:
    op.create_table(
        'prospect_search',
        sa.Column('prospect_id', sa.Uuid(), nullable=False),
        sa.Column('document', postgresql.TSVECTOR(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], ondelete='CASCADE',
                                name=op.f('fk_prospect_search_prospect_id_prospects')),
        sa.PrimaryKeyConstraint('prospect_id', name=op.f('pk_prospect_search')),
    )
    op.execute("INSERT INTO prospect_search (prospect_id, document, updated_at) "
               "SELECT id, search_document, updated_at FROM prospects")
    op.create_index('ix_prospect_search_document', 'prospect_search', ['document'], postgresql_using='gin')
    for statement in TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS prospect_search_on_update ON prospects")
    op.execute("DROP TRIGGER IF EXISTS prospect_search_on_insert ON prospects")
    op.execute("DROP FUNCTION IF EXISTS crm_copy_search_document()")
    op.drop_index('ix_prospect_search_document', table_name='prospect_search')
    op.drop_table('prospect_search')
