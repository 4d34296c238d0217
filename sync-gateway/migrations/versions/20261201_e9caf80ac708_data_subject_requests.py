"""data-subject requests (access, erasure, rectification) with their due dates and outcomes

Revision ID: e9caf80ac708
Revises: 2c5c5e890a20
Create Date: 2026-12-02 00:50:57.074058
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'e9caf80ac708'
down_revision = '2c5c5e890a20'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('data_subject_requests',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('type', sa.Text(), nullable=False),
    sa.Column('emails', postgresql.ARRAY(sa.Text()), nullable=False, comment='blanked once an erasure is complete'),
    sa.Column('email_hashes', postgresql.ARRAY(sa.Text()), nullable=False),
    sa.Column('requested_by', sa.Text(), nullable=False, comment='who asked: the person, or who acts for them'),
    sa.Column('identity_verified', sa.Boolean(), nullable=False),
    sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='rectification: the corrected fields'),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('outcome', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='what was found and done, by side (ids)'),
    sa.Column('bundle', postgresql.JSONB(astext_type=sa.Text()), nullable=True, comment='access: the export, until erased'),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_data_subject_requests'))
    )
    op.create_index(op.f('ix_data_subject_requests_due_at'), 'data_subject_requests', ['due_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_data_subject_requests_due_at'), table_name='data_subject_requests')
    op.drop_table('data_subject_requests')
