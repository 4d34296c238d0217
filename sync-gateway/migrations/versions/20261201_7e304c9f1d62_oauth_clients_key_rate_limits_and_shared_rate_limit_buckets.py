"""oauth clients, key rate limits and shared rate-limit buckets

api_keys gains `kind` (api_key | oauth_client: OAuth clients are credentials with scopes too) and `rate_limit`
(requests per minute); `rate_limit_buckets` holds the per-window budget every replica leases from.

Revision ID: 7e304c9f1d62
Revises: 7702e3c43902
Create Date: 2026-12-01 09:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '7e304c9f1d62'
down_revision = '7702e3c43902'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('api_keys', sa.Column('kind', sa.Text(), server_default='api_key', nullable=False,
                                        comment='api_key | oauth_client'))
    op.add_column('api_keys', sa.Column('rate_limit', sa.Integer(), nullable=True,
                                        comment='requests per minute; NULL: the platform default'))
    op.create_table('rate_limit_buckets',
    sa.Column('bucket', sa.Text(), nullable=False, comment='key:<credential id> or a page\'s ip:<address>'),
    sa.Column('window_ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False, comment='hits leased to processes in this window'),
    sa.Column('granted', sa.Integer(), nullable=False, comment='what the last lease got'),
    sa.PrimaryKeyConstraint('bucket', name=op.f('pk_rate_limit_buckets'))
    )


def downgrade() -> None:
    op.drop_table('rate_limit_buckets')
    op.drop_column('api_keys', 'rate_limit')
    op.drop_column('api_keys', 'kind')
