"""consent requests name the purpose they ask for (double opt-in for the talent pool as well as marketing)

Existing requests were all asked by the talent-community form: they become `marketing`.

Revision ID: 14de4e81ccd9
Revises: d5e9f3a7b024
Create Date: 2026-12-03 00:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '14de4e81ccd9'
down_revision = 'd5e9f3a7b024'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('consent_requests', sa.Column('purpose', sa.Text(), server_default='marketing', nullable=False))


def downgrade() -> None:
    op.drop_column('consent_requests', 'purpose')
