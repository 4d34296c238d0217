"""prospect imports: uploaded CSV files with their progress, and the rows that failed

Revision ID: 3c9a1f7d2e44
Revises: ee142c0b2b3f
Create Date: 2026-12-01 23:50:00

An import keeps its file (until it ends), how it was read, its options and counts; `processed` is where a worker
resumes. The same file with the same options is one import (unless cancelled), as is one Idempotency-Key per
credential.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '3c9a1f7d2e44'
down_revision = 'ee142c0b2b3f'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('prospect_imports',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('status', sa.Text(), nullable=False),
    sa.Column('filename', sa.Text(), nullable=True),
    sa.Column('sha256', sa.Text(), nullable=False),
    sa.Column('options', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('options_key', sa.Text(), nullable=False, comment='canonical JSON of options: part of the re-upload identity'),
    sa.Column('content', sa.LargeBinary(), nullable=True, comment='the file; dropped when the import ends'),
    sa.Column('encoding', sa.Text(), nullable=False),
    sa.Column('delimiter', sa.Text(), nullable=False),
    sa.Column('columns', postgresql.JSONB(astext_type=sa.Text()), nullable=False, comment='header cell -> prospect field'),
    sa.Column('unknown_columns', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('updated', sa.Integer(), nullable=False),
    sa.Column('skipped', sa.Integer(), nullable=False),
    sa.Column('failed', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('principal_key', sa.Text(), nullable=False, comment="the uploading credential's id (idempotency scope)"),
    sa.Column('idempotency_key', sa.Text(), nullable=True),
    sa.Column('created_by', sa.Text(), nullable=False),
    sa.Column('on_behalf_of', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prospect_imports'))
    )
    op.create_index('uq_prospect_imports_file', 'prospect_imports', ['sha256', 'options_key'], unique=True,
                    postgresql_where=sa.text("status <> 'cancelled'"))
    op.create_index('uq_prospect_imports_idempotency', 'prospect_imports', ['principal_key', 'idempotency_key'],
                    unique=True, postgresql_where=sa.text('idempotency_key IS NOT NULL'))
    op.create_index('ix_prospect_imports_unfinished', 'prospect_imports', ['created_at'], unique=False,
                    postgresql_where=sa.text("status IN ('queued', 'running')"))
    op.create_index('ix_prospect_imports_created', 'prospect_imports', ['created_at', 'id'], unique=False)
    op.create_table('prospect_import_errors',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('import_id', sa.Uuid(), nullable=False),
    sa.Column('row', sa.Integer(), nullable=False, comment='line in the file where the row starts (the header is 1)'),
    sa.Column('column', sa.Text(), nullable=True),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('value', sa.Text(), nullable=True, comment='the cell as it was, cut to 200 characters'),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.ForeignKeyConstraint(['import_id'], ['prospect_imports.id'], name=op.f('fk_prospect_import_errors_import_id_prospect_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_prospect_import_errors'))
    )
    op.create_index('ix_prospect_import_errors_import', 'prospect_import_errors', ['import_id', 'created_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_prospect_import_errors_import', table_name='prospect_import_errors')
    op.drop_table('prospect_import_errors')
    op.drop_index('ix_prospect_imports_created', table_name='prospect_imports')
    op.drop_index('ix_prospect_imports_unfinished', table_name='prospect_imports')
    op.drop_index('uq_prospect_imports_idempotency', table_name='prospect_imports')
    op.drop_index('uq_prospect_imports_file', table_name='prospect_imports')
    op.drop_table('prospect_imports')
