"""conflicts outlive their link

An erasure or a merge deletes the person's link; its conflict rows used to block that delete (a foreign key with
no ON DELETE), which rolled back the tombstone and dead-lettered the event. The log keeps each conflict (field,
rule, winner, time) with `link_id` set to NULL; an erasure also removes both values (`values_erased_at`).

Revision ID: 1b64eadc6246
Revises: 96e5f58e3074
Create Date: 2026-12-01 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '1b64eadc6246'
down_revision = '96e5f58e3074'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_constraint('fk_conflicts_link_id_links', 'conflicts', type_='foreignkey')
    op.alter_column('conflicts', 'link_id', existing_type=sa.Uuid(), nullable=True)
    op.create_foreign_key(op.f('fk_conflicts_link_id_links'), 'conflicts', 'links', ['link_id'], ['id'],
                          ondelete='SET NULL')
    op.add_column('conflicts', sa.Column('values_erased_at', sa.DateTime(timezone=True), nullable=True,
                                         comment='when the person was erased: both values removed'))


def downgrade() -> None:
    op.drop_column('conflicts', 'values_erased_at')
    op.drop_constraint('fk_conflicts_link_id_links', 'conflicts', type_='foreignkey')
    op.execute("DELETE FROM conflicts WHERE link_id IS NULL")
    op.alter_column('conflicts', 'link_id', existing_type=sa.Uuid(), nullable=False)
    op.create_foreign_key(op.f('fk_conflicts_link_id_links'), 'conflicts', 'links', ['link_id'], ['id'])
