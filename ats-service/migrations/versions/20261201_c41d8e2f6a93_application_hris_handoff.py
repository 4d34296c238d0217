"""application HRIS hand-off: work email given at the hire, hris_status (pending, sent, failed), error, employee id

Revision ID: c41d8e2f6a93
Revises: b7e3c9a41f20
Create Date: 2026-12-01 23:45:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'c41d8e2f6a93'
down_revision = 'b7e3c9a41f20'
branch_labels = None
depends_on = None

COLUMNS = (('work_email', sa.Text()), ('hris_status', sa.Text()), ('hris_error', sa.Text()),
           ('hris_employee_id', sa.Text()), ('hris_synced_at', sa.DateTime(timezone=True)))


def upgrade() -> None:
    for name, type_ in COLUMNS:
        op.add_column('applications', sa.Column(name, type_, nullable=True))


def downgrade() -> None:
    for name, _ in reversed(COLUMNS):
        op.drop_column('applications', name)
