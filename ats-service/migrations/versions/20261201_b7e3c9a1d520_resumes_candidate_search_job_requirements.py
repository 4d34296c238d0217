"""resumes (file, text, parsed fields, embedding), candidate links, candidate search documents kept by triggers,
job requirements

Revision ID: b7e3c9a1d520
Revises: a1d7c4e9f265
Create Date: 2026-12-01 23:30:00
"""
import sqlalchemy as sa
from alembic import op
from pgvector.sqlalchemy import Vector
from sqlalchemy.dialects import postgresql
from talentkit.search.sql import LOWER_ARRAY_FUNCTION

revision = 'b7e3c9a1d520'
down_revision = 'a1d7c4e9f265'
branch_labels = None
depends_on = None

# One candidate's search document, rebuilt from the candidate and their resumes. Weights: A name and job
# titles, B headline and skills, C the resume text. One text search configuration (english) for every part, the
# same one queries use, so a word is stemmed alike wherever it is.
REFRESH = """
CREATE OR REPLACE FUNCTION ats_refresh_candidate_search(cid uuid) RETURNS void LANGUAGE sql AS $$
INSERT INTO candidate_search AS s (candidate_id, document, skills, titles, companies, updated_at)
SELECT c.id,
       setweight(to_tsvector('english', c.first_name || ' ' || c.last_name || ' ' || coalesce(r.titles, '')), 'A')
    || setweight(to_tsvector('english', coalesce(c.headline, '') || ' ' || array_to_string(r.skills, ' ')), 'B')
    || setweight(to_tsvector('english', left(coalesce(r.body, ''), 400000)), 'C'),
       r.skills, concat_ws(' ', c.headline, r.titles), coalesce(r.companies, ''), now()
FROM candidates c
CROSS JOIN LATERAL (
    SELECT string_agg(array_to_string(x.titles, ' '), ' ') AS titles,
           string_agg(array_to_string(x.companies, ' '), ' ') AS companies,
           string_agg(x.text, E'\\n') AS body,
           coalesce((SELECT array_agg(DISTINCT k) FROM resumes y, unnest(y.skills) k
                     WHERE y.candidate_id = cid AND y.erased_at IS NULL), '{}') AS skills
    FROM resumes x WHERE x.candidate_id = cid AND x.erased_at IS NULL) r
WHERE c.id = cid
ON CONFLICT (candidate_id) DO UPDATE SET document = EXCLUDED.document, skills = EXCLUDED.skills,
    titles = EXCLUDED.titles, companies = EXCLUDED.companies, updated_at = EXCLUDED.updated_at
$$
"""
TRIGGERS = ["""
CREATE OR REPLACE FUNCTION ats_candidate_search_on_candidate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN PERFORM ats_refresh_candidate_search(NEW.id); RETURN NULL; END $$""", """
CREATE TRIGGER candidate_search_on_candidate AFTER INSERT OR UPDATE OF first_name, last_name, headline
    ON candidates FOR EACH ROW EXECUTE FUNCTION ats_candidate_search_on_candidate()""", """
CREATE OR REPLACE FUNCTION ats_candidate_search_on_resume() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN PERFORM ats_refresh_candidate_search(OLD.candidate_id); END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.candidate_id <> OLD.candidate_id) THEN
        PERFORM ats_refresh_candidate_search(NEW.candidate_id);
    END IF;
    RETURN NULL;
END $$""", """
CREATE TRIGGER candidate_search_on_resume AFTER INSERT OR UPDATE OR DELETE ON resumes
    FOR EACH ROW EXECUTE FUNCTION ats_candidate_search_on_resume()"""]


def upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS vector")
    op.execute(LOWER_ARRAY_FUNCTION)
    op.add_column('candidates', sa.Column('links', postgresql.ARRAY(sa.Text()), server_default='{}', nullable=False))
    op.add_column('jobs', sa.Column('requirements', postgresql.JSONB(astext_type=sa.Text()), server_default='{}', nullable=False))
    op.create_table(
        'resumes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('candidate_id', sa.Uuid(), nullable=False),
        sa.Column('sha256', sa.Text(), nullable=False),
        sa.Column('filename', sa.Text(), nullable=True),
        sa.Column('content_type', sa.Text(), nullable=False),
        sa.Column('size_bytes', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=True),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('pages', sa.Integer(), nullable=False),
        sa.Column('fields', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('skills', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('titles', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('companies', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('years_of_experience', sa.Float(), nullable=True),
        sa.Column('embedding', Vector(384), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('created_by', sa.Text(), nullable=False),
        sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], name=op.f('fk_resumes_candidate_id_candidates')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_resumes')),
        sa.UniqueConstraint('candidate_id', 'sha256', name='uq_resumes_candidate_id_sha256'),
    )
    op.create_index('ix_resumes_candidate_created', 'resumes', ['candidate_id', 'created_at', 'id'])
    op.create_table(
        'candidate_search',
        sa.Column('candidate_id', sa.Uuid(), nullable=False),
        sa.Column('document', postgresql.TSVECTOR(), nullable=False),
        sa.Column('skills', postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column('titles', sa.Text(), nullable=False),
        sa.Column('companies', sa.Text(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], ondelete='CASCADE',
                                name=op.f('fk_candidate_search_candidate_id_candidates')),
        sa.PrimaryKeyConstraint('candidate_id', name=op.f('pk_candidate_search')),
    )
    op.create_index('ix_candidate_search_document', 'candidate_search', ['document'], postgresql_using='gin')
    op.execute("CREATE INDEX ix_candidate_search_skills ON candidate_search USING gin (talent_lower_array(skills))")
    op.execute("CREATE INDEX ix_candidates_location_text ON candidates USING gin (to_tsvector('english'::regconfig, coalesce(location, '')))")
    op.execute("CREATE INDEX ix_candidate_search_titles ON candidate_search USING gin (to_tsvector('english'::regconfig, coalesce(titles, '')))")
    op.execute("CREATE INDEX ix_candidate_search_companies ON candidate_search USING gin (to_tsvector('english'::regconfig, coalesce(companies, '')))")
    op.execute(REFRESH)
    for statement in TRIGGERS:
        op.execute(statement)
    op.execute("SELECT ats_refresh_candidate_search(id) FROM candidates")


def downgrade() -> None:
    op.execute("DROP TRIGGER IF EXISTS candidate_search_on_resume ON resumes")
    op.execute("DROP TRIGGER IF EXISTS candidate_search_on_candidate ON candidates")
    op.execute("DROP FUNCTION IF EXISTS ats_candidate_search_on_resume(), ats_candidate_search_on_candidate(), "
               "ats_refresh_candidate_search(uuid)")
    op.drop_index('ix_candidates_location_text', table_name='candidates')
    op.drop_table('candidate_search')
    op.drop_table('resumes')
    op.drop_column('jobs', 'requirements')
    op.drop_column('candidates', 'links')
    op.execute("DROP FUNCTION IF EXISTS talent_lower_array(text[])")

