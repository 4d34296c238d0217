"""prospect resume excerpts: the start of a linked ATS candidate's latest resume without who they are (the gateway's
resume flow, where the field policy's `resume_text` allows); a change asks for the prospect's embedding again

Revision ID: 9c4a2e7b5d18
Revises: 7b3e9d1f4a26
Create Date: 2026-12-03 01:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '9c4a2e7b5d18'
down_revision = '7b3e9d1f4a26'
branch_labels = None
depends_on = None

# Not for a prospect deleted outright (the excerpt goes with it by cascade): an erased one stays, anonymised.
QUEUE = ["""
CREATE OR REPLACE FUNCTION crm_request_embedding_of_excerpt() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE pid uuid := CASE WHEN TG_OP = 'DELETE' THEN OLD.prospect_id ELSE NEW.prospect_id END;
BEGIN
    INSERT INTO embedding_requests (prospect_id, requested_at)
    SELECT pid, clock_timestamp() WHERE EXISTS (SELECT 1 FROM prospects WHERE id = pid)
    ON CONFLICT (prospect_id) DO UPDATE SET requested_at = EXCLUDED.requested_at;
    IF TG_OP = 'UPDATE' AND OLD.prospect_id <> NEW.prospect_id THEN
        INSERT INTO embedding_requests (prospect_id, requested_at)
        SELECT OLD.prospect_id, clock_timestamp() WHERE EXISTS (SELECT 1 FROM prospects WHERE id = OLD.prospect_id)
        ON CONFLICT (prospect_id) DO UPDATE SET requested_at = EXCLUDED.requested_at;
    END IF;
    RETURN NULL;
END $$""", """
CREATE TRIGGER prospect_resume_excerpt_embedding_request AFTER INSERT OR UPDATE OR DELETE
    ON prospect_resume_excerpts FOR EACH ROW EXECUTE FUNCTION crm_request_embedding_of_excerpt()"""]


def upgrade() -> None:
    op.create_table(
        'prospect_resume_excerpts',
        sa.Column('prospect_id', sa.Uuid(), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('resume_id', sa.Uuid(), nullable=False),
        sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], ondelete='CASCADE',
                                name=op.f('fk_prospect_resume_excerpts_prospect_id_prospects')),
        sa.PrimaryKeyConstraint('prospect_id', name=op.f('pk_prospect_resume_excerpts')),
    )
    for statement in QUEUE:
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS prospect_resume_excerpt_embedding_request ON prospect_resume_excerpts")
    op.execute("DROP FUNCTION IF EXISTS crm_request_embedding_of_excerpt()")
    op.drop_table('prospect_resume_excerpts')
