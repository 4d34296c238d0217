"""saved searches and their matches, bulk pushes and their items, openness alerts

Revision ID: d5e9f3a7b024
Revises: c4d8e2f6a913
Create Date: 2026-12-02 00:10:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'd5e9f3a7b024'
down_revision = 'c4d8e2f6a913'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'saved_searches',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.Text(), nullable=False),
        sa.Column('q', sa.Text(), nullable=False),
        sa.Column('mode', sa.Text(), nullable=False),
        sa.Column('filters', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('alerts', sa.Boolean(), nullable=False),
        sa.Column('recipient', sa.Text(), nullable=False),
        sa.Column('checked_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_searches')),
    )
    op.create_index(op.f('ix_saved_searches_created_at'), 'saved_searches', ['created_at'])
    op.create_table(
        'saved_search_matches',
        sa.Column('saved_search_id', sa.Uuid(), nullable=False),
        sa.Column('prospect_id', sa.Uuid(), nullable=False),
        sa.Column('matched_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['saved_search_id'], ['saved_searches.id'], ondelete='CASCADE',
                                name=op.f('fk_saved_search_matches_saved_search_id_saved_searches')),
        sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], ondelete='CASCADE',
                                name=op.f('fk_saved_search_matches_prospect_id_prospects')),
        sa.PrimaryKeyConstraint('saved_search_id', 'prospect_id', name=op.f('pk_saved_search_matches')),
    )
    op.create_table(
        'bulk_pushes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('job_id', sa.Uuid(), nullable=False),
        sa.Column('selection', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('status', sa.Text(), nullable=False),
        sa.Column('total', sa.Integer(), nullable=False),
        sa.Column('processed', sa.Integer(), nullable=False),
        sa.Column('requested_by', sa.Text(), nullable=False),
        sa.Column('on_behalf_of', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_bulk_pushes')),
    )
    op.create_index(op.f('ix_bulk_pushes_created_at'), 'bulk_pushes', ['created_at'])
    op.create_table(
        'bulk_push_items',
        sa.Column('bulk_push_id', sa.Uuid(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('prospect_id', sa.Uuid(), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.Column('push_id', sa.Uuid(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['bulk_push_id'], ['bulk_pushes.id'], ondelete='CASCADE',
                                name=op.f('fk_bulk_push_items_bulk_push_id_bulk_pushes')),
        sa.PrimaryKeyConstraint('bulk_push_id', 'position', name=op.f('pk_bulk_push_items')),
    )
    op.create_index(op.f('ix_bulk_push_items_outcome'), 'bulk_push_items', ['outcome'])
    op.create_table(
        'openness_alerts',
        sa.Column('prospect_id', sa.Uuid(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['prospect_id'], ['prospects.id'], ondelete='CASCADE',
                                name=op.f('fk_openness_alerts_prospect_id_prospects')),
        sa.PrimaryKeyConstraint('prospect_id', name=op.f('pk_openness_alerts')),
    )


def downgrade() -> None:
    op.drop_table('openness_alerts')
    op.drop_table('bulk_push_items')
    op.drop_table('bulk_pushes')
    op.drop_table('saved_search_matches')
    op.drop_table('saved_searches')
