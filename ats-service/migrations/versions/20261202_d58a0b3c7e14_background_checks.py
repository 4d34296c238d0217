"""background checks (provider invitation flow, adverse-action process), applied provider events (replays
refused), and the application's background_check_status

Revision ID: d58a0b3c7e14
Revises: c41d8e2f6a93
Create Date: 2026-12-02 00:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'd58a0b3c7e14'
down_revision = 'c41d8e2f6a93'
branch_labels = None
depends_on = None


def upgrade() -> None:
    ts = lambda name, **kw: sa.Column(name, sa.DateTime(timezone=True), **kw)
    op.create_table(
        'background_checks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('application_id', sa.Uuid(), nullable=False),
        sa.Column('candidate_id', sa.Uuid(), nullable=False),
        sa.Column('package', sa.Text(), nullable=False),
        ts('consent_given_at', nullable=False),
        sa.Column('consent_text_version', sa.Text(), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('provider_candidate_id', sa.Text(), nullable=True),
        sa.Column('provider_invitation_id', sa.Text(), nullable=True),
        sa.Column('provider_report_id', sa.Text(), nullable=True),
        sa.Column('invitation_url', sa.Text(), nullable=True),
        sa.Column('adjudication', sa.Text(), nullable=True),
        sa.Column('adjudication_reason', sa.Text(), nullable=True),
        ts('pre_adverse_notice_at', nullable=True),
        ts('waiting_until', nullable=True),
        ts('adverse_action_at', nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        ts('created_at', server_default=sa.text('now()'), nullable=False),
        ts('updated_at', server_default=sa.text('now()'), nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
        sa.Column('updated_by', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_background_checks_application_id_applications')),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_background_checks_candidate_id_candidates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_background_checks')),
        sa.UniqueConstraint('provider_candidate_id', name=op.f('uq_background_checks_provider_candidate_id')),
    )
    op.create_index(op.f('ix_background_checks_application_id'), 'background_checks', ['application_id'])
    op.create_index(op.f('ix_background_checks_candidate_id'), 'background_checks', ['candidate_id'])
    op.create_table(
        'background_check_provider_events',
        sa.Column('event_id', sa.Text(), nullable=False),
        ts('received_at', server_default=sa.text('now()'), nullable=False),
        sa.PrimaryKeyConstraint('event_id', name=op.f('pk_background_check_provider_events')),
    )
    op.add_column('applications', sa.Column('background_check_status', sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column('applications', 'background_check_status')
    op.drop_table('background_check_provider_events')
    op.drop_table('background_checks')
