"""careers site: job postings (address or remote, salary, closing date, screening questions) and what came with
an application through the form (answers, knock-out, resume as uploaded, talent-pool consent)

Revision ID: e6f1a2b9c305
Revises: d58a0b3c7e14
Create Date: 2026-12-02 00:40:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'e6f1a2b9c305'
down_revision = 'd58a0b3c7e14'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'job_postings',
        sa.Column('job_id', sa.Uuid(), nullable=False),
        *(sa.Column(c, sa.Text(), nullable=True) for c in ('street_address', 'locality', 'region', 'postal_code', 'country')),
        sa.Column('remote', sa.Boolean(), nullable=False),
        sa.Column('applicant_countries', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('salary_min', sa.Numeric(14, 2), nullable=True),
        sa.Column('salary_max', sa.Numeric(14, 2), nullable=True),
        sa.Column('salary_currency', sa.Text(), nullable=True),
        sa.Column('salary_unit', sa.Text(), nullable=True),
        sa.Column('valid_through', sa.DateTime(timezone=True), nullable=True),
        sa.Column('questions', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_by', sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], ondelete='CASCADE', name=op.f('fk_job_postings_job_id_jobs')),
        sa.PrimaryKeyConstraint('job_id', name=op.f('pk_job_postings')),
    )
    op.create_table(
        'career_applications',
        sa.Column('application_id', sa.Uuid(), nullable=False),
        sa.Column('candidate_id', sa.Uuid(), nullable=False),
        sa.Column('answers', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('knocked_out_by', sa.Text(), nullable=True),
        sa.Column('resume_filename', sa.Text(), nullable=True),
        sa.Column('resume_type', sa.Text(), nullable=True),
        sa.Column('resume', sa.LargeBinary(), nullable=True),
        sa.Column('talent_pool_consent_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('consent_text_version', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(['application_id'], ['applications.id'], ondelete='CASCADE',
                                name=op.f('fk_career_applications_application_id_applications')),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_career_applications_candidate_id_candidates')),
        sa.PrimaryKeyConstraint('application_id', name=op.f('pk_career_applications')),
    )
    op.create_index(op.f('ix_career_applications_candidate_id'), 'career_applications', ['candidate_id'])


def downgrade() -> None:
    op.drop_table('career_applications')
    op.drop_table('job_postings')
