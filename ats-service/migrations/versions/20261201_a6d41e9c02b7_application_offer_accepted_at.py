"""application offer_accepted_at: an accepted offer makes the application hireable (set by the offer's event)

Revision ID: a6d41e9c02b7
Revises: 3f2b8c1d7e45
Create Date: 2026-12-01 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = 'a6d41e9c02b7'
down_revision = '3f2b8c1d7e45'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('applications', sa.Column('offer_accepted_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("""UPDATE applications a SET offer_accepted_at = o.accepted_at
                  FROM (SELECT application_id, min(coalesce(resolved_at, updated_at)) AS accepted_at FROM offers
                        WHERE status = 'accepted' GROUP BY application_id) o
                  WHERE o.application_id = a.id""")


def downgrade() -> None:
    op.drop_column('applications', 'offer_accepted_at')
