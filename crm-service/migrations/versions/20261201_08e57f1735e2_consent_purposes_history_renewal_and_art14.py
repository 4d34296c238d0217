"""consent purposes, collected_at, renewal requests, consent history, Art. 14 due and sent dates

A consent is per prospect, purpose and channel now: existing consents become the `marketing` purpose (what
sequences needed them for); a granted one is taken as collected at its last change.

Revision ID: 08e57f1735e2
Revises: 411bec37c4ee
Create Date: 2026-12-01 23:45:56.560994
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '08e57f1735e2'
down_revision = '411bec37c4ee'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('consent_history',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('prospect_id', sa.Uuid(), nullable=False),
    sa.Column('purpose', sa.Text(), nullable=False),
    sa.Column('channel', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('lawful_basis', sa.Text(), nullable=True),
    sa.Column('source', sa.Text(), nullable=True),
    sa.Column('text_version', sa.Text(), nullable=True),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('suppressions', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], name=op.f('fk_consent_history_prospect_id_prospects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_history'))
    )
    op.create_index('ix_consent_history_prospect', 'consent_history', ['prospect_id', 'changed_at'], unique=False)
    op.add_column('consents', sa.Column('purpose', sa.Text(), server_default='marketing', nullable=False))
    op.add_column('consents', sa.Column('collected_at', sa.DateTime(timezone=True), nullable=True, comment='when it was given'))
    op.add_column('consents', sa.Column('renewal_requested_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('consents', sa.Column('renewal_reminded_at', sa.DateTime(timezone=True), nullable=True))
    op.drop_constraint('pk_consents', 'consents', type_='primary')
    op.create_primary_key('pk_consents', 'consents', ['prospect_id', 'purpose', 'channel'])
    op.execute("UPDATE consents SET collected_at = updated_at WHERE status = 'granted'")
    op.add_column('prospects', sa.Column('art14_due_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('prospects', sa.Column('art14_sent_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    op.drop_column('prospects', 'art14_sent_at')
    op.drop_column('prospects', 'art14_due_at')
    op.drop_column('consents', 'renewal_reminded_at')
    op.drop_column('consents', 'renewal_requested_at')
    op.drop_column('consents', 'collected_at')
    op.execute("DELETE FROM consents WHERE purpose <> 'marketing'")
    op.drop_constraint('pk_consents', 'consents', type_='primary')
    op.create_primary_key('pk_consents', 'consents', ['prospect_id', 'channel'])
    op.drop_column('consents', 'purpose')
    op.drop_index('ix_consent_history_prospect', table_name='consent_history')
    op.drop_table('consent_history')
