"""subject keys: per-person keys sealing personal data in events (crypto-shredding on erasure)

Revision ID: 411bec37c4ee
Revises: 3c9a1f7d2e44
Create Date: 2026-12-01 23:19:52.110333
"""
import sqlalchemy as sa
from alembic import op

revision = '411bec37c4ee'
down_revision = '3c9a1f7d2e44'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('subject_keys',
    sa.Column('subject_id', sa.Text(), nullable=False, comment='the person (candidate or prospect id)'),
    sa.Column('key', sa.LargeBinary(), nullable=False, comment='AES-256-GCM key; deleted when the person is erased'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('subject_id', name=op.f('pk_subject_keys'))
    )


def downgrade() -> None:
    op.drop_table('subject_keys')
