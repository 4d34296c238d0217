"""eeo responses, legal holds, retention policies and runs; jobs.jurisdiction, candidates.minimised_at

Revision ID: 92a71cd67acb
Revises: c1a7e3b5d902
Create Date: 2026-12-01 23:06:40.605322
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '92a71cd67acb'
down_revision = 'c1a7e3b5d902'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('retention_policies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('office', sa.Text(), nullable=True, comment='matches jobs.location, case-insensitively'),
    sa.Column('jurisdiction', sa.Text(), nullable=True, comment='matches jobs.jurisdiction or its country'),
    sa.Column('keep_days', sa.Integer(), nullable=False, comment='after the last application closed without a hire'),
    sa.Column('federal_contractor', sa.Boolean(), nullable=False),
    sa.Column('hires', sa.Text(), nullable=False),
    sa.Column('hire_minimal_after_days', sa.Integer(), nullable=False, comment='days after the hire (the HRIS hand-off)'),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_policies')),
    sa.UniqueConstraint('jurisdiction', name=op.f('uq_retention_policies_jurisdiction')),
    sa.UniqueConstraint('office', name=op.f('uq_retention_policies_office'))
    )
    op.create_table('retention_runs',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('trigger', sa.Text(), nullable=False, comment='schedule | manual'),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Text(), nullable=False, comment='running | finished | failed'),
    sa.Column('anonymised', sa.Integer(), nullable=False),
    sa.Column('minimised', sa.Integer(), nullable=False),
    sa.Column('held', sa.Integer(), nullable=False),
    sa.Column('errors', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retention_runs'))
    )
    op.create_table('legal_holds',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('candidate_id', sa.Uuid(), nullable=True),
    sa.Column('job_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('matter', sa.Text(), nullable=True, comment='the case or claim reference'),
    sa.Column('placed_by', sa.Text(), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.Text(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.CheckConstraint('(candidate_id IS NULL) <> (job_id IS NULL)', name=op.f('ck_legal_holds_one_target')),
    sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_legal_holds_candidate_id_candidates')),
    sa.ForeignKeyConstraint(['job_id'], ['jobs.id'], name=op.f('fk_legal_holds_job_id_jobs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_legal_holds'))
    )
    op.create_index(op.f('ix_legal_holds_candidate_id'), 'legal_holds', ['candidate_id'], unique=False)
    op.create_index(op.f('ix_legal_holds_job_id'), 'legal_holds', ['job_id'], unique=False)
    op.create_table('eeo_responses',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('application_id', sa.Uuid(), nullable=False),
    sa.Column('gender', sa.Text(), nullable=False),
    sa.Column('race_ethnicity', sa.Text(), nullable=False),
    sa.Column('veteran_status', sa.Text(), nullable=False),
    sa.Column('disability_status', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('updated_by', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_eeo_responses_application_id_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eeo_responses')),
    sa.UniqueConstraint('application_id', name=op.f('uq_eeo_responses_application_id'))
    )
    op.add_column('candidates', sa.Column('minimised_at', sa.DateTime(timezone=True), nullable=True, comment='reduced to a minimal record after the hire (retention)'))
    op.add_column('jobs', sa.Column('jurisdiction', sa.Text(), nullable=True, comment='ISO 3166 country or subdivision (retention)'))



def downgrade() -> None:

    op.drop_column('jobs', 'jurisdiction')
    op.drop_column('candidates', 'minimised_at')
    op.drop_table('eeo_responses')
    op.drop_index(op.f('ix_legal_holds_job_id'), table_name='legal_holds')
    op.drop_index(op.f('ix_legal_holds_candidate_id'), table_name='legal_holds')
    op.drop_table('legal_holds')
    op.drop_table('retention_runs')
    op.drop_table('retention_policies')

