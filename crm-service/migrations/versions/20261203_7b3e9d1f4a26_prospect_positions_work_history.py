"""prospect positions: each prospect's work history (company, title, start, end), where openness reads the tenure
at the current company (it was the time the CRM last saw `current_company` change)

Revision ID: 7b3e9d1f4a26
Revises: 14de4e81ccd9
Create Date: 2026-12-03 01:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '7b3e9d1f4a26'
down_revision = '14de4e81ccd9'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'prospect_positions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('prospect_id', sa.Uuid(), nullable=False),
        sa.Column('company', sa.Text(), nullable=False),
        sa.Column('title', sa.Text(), nullable=True),
        sa.Column('started_on', sa.Date(), nullable=False),
        sa.Column('ended_on', sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], ondelete='CASCADE',
                                name=op.f('fk_prospect_positions_prospect_id_prospects')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_prospect_positions')),
    )
    op.create_index('ix_prospect_positions_prospect', 'prospect_positions', ['prospect_id', 'started_on'])


def downgrade() -> None:
    op.drop_index('ix_prospect_positions_prospect', table_name='prospect_positions')
    op.drop_table('prospect_positions')
