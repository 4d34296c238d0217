"""prospects' emails index without a pending list (fastupdate off): every email lookup of the sync and the backfill
read GIN's pending list of recent inserts in full (a backfill's 100,000 new rows made a lookup of 50 addresses
take 15 ms and more); an index entry written at once costs an insert nothing measurable (1 to 3 emails a row)

Revision ID: 5a1c7e3b9d20
Revises: e1f7c3a9b642
Create Date: 2026-12-04 00:00:00
"""
from alembic import op

revision = '5a1c7e3b9d20'
down_revision = 'e1f7c3a9b642'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER INDEX ix_prospects_emails SET (fastupdate = off)")
    op.execute("SELECT gin_clean_pending_list('ix_prospects_emails'::regclass)")  # what is pending goes in now


def downgrade() -> None:
    op.execute("ALTER INDEX ix_prospects_emails RESET (fastupdate)")
