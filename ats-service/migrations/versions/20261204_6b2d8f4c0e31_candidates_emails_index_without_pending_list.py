"""candidates' emails index without a pending list (fastupdate off): every email lookup of the sync and the backfill
read GIN's pending list of recent inserts in full (a backfill's 100,000 new rows made a lookup of 50 addresses
take 15 ms and more); an index entry written at once costs an insert nothing measurable (1 to 3 emails a row)

Revision ID: 6b2d8f4c0e31
Revises: d2b5e8a4c671
Create Date: 2026-12-04 00:00:00
"""
from alembic import op

revision = '6b2d8f4c0e31'
down_revision = 'd2b5e8a4c671'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER INDEX ix_candidates_emails SET (fastupdate = off)")
    op.execute("SELECT gin_clean_pending_list('ix_candidates_emails'::regclass)")  # what is pending goes in now


def downgrade() -> None:
    op.execute("ALTER INDEX ix_candidates_emails RESET (fastupdate)")
