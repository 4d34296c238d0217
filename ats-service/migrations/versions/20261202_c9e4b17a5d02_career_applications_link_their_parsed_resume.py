"""career applications link the resume the resumes feature read from the form's file (the plain copy columns
stay for applications sent before; new ones leave them empty)

Revision ID: c9e4b17a5d02
Revises: b7e3c9a1d520
Create Date: 2026-12-02 03:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c9e4b17a5d02'
down_revision = 'b7e3c9a1d520'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('career_applications', sa.Column('resume_id', sa.Uuid(), nullable=True))
    op.create_foreign_key(op.f('fk_career_applications_resume_id_resumes'), 'career_applications', 'resumes',
                          ['resume_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    op.drop_constraint(op.f('fk_career_applications_resume_id_resumes'), 'career_applications', type_='foreignkey')
    op.drop_column('career_applications', 'resume_id')
