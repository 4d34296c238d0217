"""webhook deliveries keep the ids of the people they carry (so an erasure can find them)

Revision ID: 96e5f58e3074
Revises: 7e304c9f1d62
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '96e5f58e3074'
down_revision = '7e304c9f1d62'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('webhook_deliveries', sa.Column('person_ids', sa.ARRAY(sa.Text()), server_default=sa.text("'{}'"),
                                                  nullable=False))
    op.create_index('ix_webhook_deliveries_person_ids', 'webhook_deliveries', ['person_ids'], unique=False,
                    postgresql_using='gin')


def downgrade() -> None:
    op.drop_index('ix_webhook_deliveries_person_ids', table_name='webhook_deliveries', postgresql_using='gin')
    op.drop_column('webhook_deliveries', 'person_ids')
