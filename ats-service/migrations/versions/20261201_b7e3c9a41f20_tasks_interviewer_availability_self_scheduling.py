"""tasks (work after commit: mail, later HRIS and background checks), interviewer availability (working hours,
busy blocks), self-scheduling invites, and the interviews' calendar sequence

Revision ID: b7e3c9a41f20
Revises: 5c1e2a7d9b40
Create Date: 2026-12-01 23:30:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'b7e3c9a41f20'
down_revision = '5c1e2a7d9b40'
branch_labels = None
depends_on = None


def _stamps() -> list[sa.Column]:
    return [sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
            sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
            sa.Column('created_by', sa.Text(), nullable=False), sa.Column('updated_by', sa.Text(), nullable=False)]


def upgrade() -> None:
    op.create_table(
        'tasks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.Text(), nullable=False),
        sa.Column('dedupe_key', sa.Text(), nullable=False),
        sa.Column('candidate_id', sa.Uuid(), nullable=True),
        sa.Column('payload', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tasks')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_tasks_dedupe_key')),
    )
    op.create_index(op.f('ix_tasks_candidate_id'), 'tasks', ['candidate_id'])
    op.create_index('ix_tasks_due', 'tasks', ['next_attempt_at'], postgresql_where=sa.text("status = 'pending'"))
    op.create_table(
        'interviewers',
        sa.Column('id', sa.Text(), nullable=False),
        sa.Column('name', sa.Text(), nullable=True),
        sa.Column('email', sa.Text(), nullable=True),
        sa.Column('timezone', sa.Text(), nullable=False),
        sa.Column('working_hours', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        *_stamps(),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interviewers')),
    )
    op.create_table(
        'interviewer_busy_blocks',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('interviewer_id', sa.Text(), nullable=False),
        sa.Column('during', postgresql.TSTZRANGE(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['interviewer_id'], ['interviewers.id'], ondelete='CASCADE',
                                name=op.f('fk_interviewer_busy_blocks_interviewer_id_interviewers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_interviewer_busy_blocks')),
    )
    op.create_index(op.f('ix_interviewer_busy_blocks_interviewer_id'), 'interviewer_busy_blocks', ['interviewer_id'])
    op.create_table(
        'scheduling_invites',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('application_id', sa.Uuid(), nullable=False),
        sa.Column('stage_id', sa.Uuid(), nullable=False),
        sa.Column('interviewers', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('duration_minutes', sa.Integer(), nullable=False),
        sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
        sa.Column('window_end', sa.DateTime(timezone=True), nullable=False),
        sa.Column('timezone', sa.Text(), nullable=False),
        sa.Column('location', sa.Text(), nullable=True),
        sa.Column('video_link', sa.Text(), nullable=True),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('interview_id', sa.Uuid(), nullable=True),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        *_stamps(),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_scheduling_invites_application_id_applications')),
        sa.ForeignKeyConstraint(['stage_id'], ['job_stages.id'], name=op.f('fk_scheduling_invites_stage_id_job_stages')),
        sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_scheduling_invites_interview_id_interviews')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduling_invites')),
    )
    op.create_index(op.f('ix_scheduling_invites_application_id'), 'scheduling_invites', ['application_id'])
    op.add_column('interviews', sa.Column('calendar_sequence', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    op.drop_column('interviews', 'calendar_sequence')
    op.drop_table('scheduling_invites')
    op.drop_table('interviewer_busy_blocks')
    op.drop_table('interviewers')
    op.drop_table('tasks')
