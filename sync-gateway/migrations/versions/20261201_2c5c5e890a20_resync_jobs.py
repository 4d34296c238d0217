"""resync jobs

`POST /v1/resync` queues a job instead of resyncing inside the request; runners claim jobs with SKIP LOCKED and
hold a lease (heartbeat_at) so a job of a dead process is taken over. One active job per scope (partial index).

Revision ID: 2c5c5e890a20
Revises: 1b64eadc6246
Create Date: 2026-12-01 11:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '2c5c5e890a20'
down_revision = '1b64eadc6246'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('resync_jobs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False, comment='`all`, or `links:<digest of the ids>`'),
    sa.Column('all_links', sa.Boolean(), nullable=False),
    sa.Column('ats_candidate_ids', postgresql.ARRAY(sa.UUID()), nullable=False),
    sa.Column('crm_prospect_ids', postgresql.ARRAY(sa.UUID()), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=True, comment='links in scope when the job started'),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False, comment='a side erased, merged away or gone'),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('conflicts', sa.Integer(), nullable=False, comment='overridden values logged'),
    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='the first failures'),
    sa.Column('cursor', sa.Uuid(), nullable=True, comment='the last link done (links go in id order)'),
    sa.Column('runner', sa.Text(), nullable=True),
    sa.Column('heartbeat_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claims', sa.Integer(), nullable=False, comment='how many times a runner took it on'),
    sa.Column('requested_by', sa.Text(), nullable=False),
    sa.Column('cancelled_by', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_resync_jobs'))
    )
    op.create_index('ix_resync_jobs_created', 'resync_jobs', ['created_at', 'id'], unique=False)
    op.create_index('uq_resync_jobs_active_scope', 'resync_jobs', ['scope'], unique=True,
                    postgresql_where=sa.text("status IN ('queued', 'running')"))


def downgrade() -> None:
    op.drop_index('uq_resync_jobs_active_scope', table_name='resync_jobs', postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.drop_index('ix_resync_jobs_created', table_name='resync_jobs')
    op.drop_table('resync_jobs')
