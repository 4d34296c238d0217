"""offer approver chain: approvers in order, this round's decisions, the offer's author

Revision ID: 3f2b8c1d7e45
Revises: 08390cf0e5d6
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '3f2b8c1d7e45'
down_revision = '08390cf0e5d6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('offers', sa.Column('approvers', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False))
    op.add_column('offers', sa.Column('approvals', postgresql.JSONB(astext_type=sa.Text()), server_default='[]', nullable=False))
    op.add_column('offers', sa.Column('drafted_by', sa.Text(), nullable=True))
    # The single approver becomes a chain of one; the author is the user a write was made for, else the key.
    op.execute("UPDATE offers SET approvers = ARRAY[lower(approver)] WHERE approver IS NOT NULL")
    op.execute(r"UPDATE offers SET drafted_by = coalesce(lower(substring(created_by from ' \(for (.*)\)$')), created_by)")
    # An approval given before the chain existed is kept as that chain's one decision.
    op.execute("""UPDATE offers SET approvals = jsonb_build_array(jsonb_build_object(
                      'approver', coalesce(approvers[1], approved_by), 'decision', 'approved', 'reason', NULL,
                      'principal', approved_by, 'at', to_jsonb(approved_at)))
                  WHERE approved_by IS NOT NULL""")
    op.alter_column('offers', 'drafted_by', nullable=False)
    op.drop_column('offers', 'approver')


def downgrade() -> None:
    op.add_column('offers', sa.Column('approver', sa.Text(), nullable=True))
    op.execute("UPDATE offers SET approver = approvers[1]")
    op.drop_column('offers', 'drafted_by')
    op.drop_column('offers', 'approvals')
    op.drop_column('offers', 'approvers')
