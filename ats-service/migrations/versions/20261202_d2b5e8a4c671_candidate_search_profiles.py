"""candidate search profiles: the name, job titles, headline and skills part of each search document (weights A and
B) in a narrow table with its own GIN index, kept by the same refresh as the whole document. A common word matches
tens of thousands of candidates; ranking them here reads a few MB, where the whole documents (resume text
included) are most of the table's 150 MB at 100,000 candidates and every matching page had to be read to rank.

Revision ID: d2b5e8a4c671
Revises: c9e4b17a5d02
Create Date: 2026-12-02 11:00:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'd2b5e8a4c671'
down_revision = 'c9e4b17a5d02'
branch_labels = None
depends_on = None

# The document is the profile followed by the resume text (C), as before: `profile || body` numbers the body's
# positions after the profile's, exactly as the one concatenation did.
REFRESH = """
CREATE OR REPLACE FUNCTION ats_refresh_candidate_search(cid uuid) RETURNS void LANGUAGE sql AS $$
WITH parts AS (
    SELECT c.id,
           setweight(to_tsvector('english', c.first_name || ' ' || c.last_name || ' ' || coalesce(r.titles, '')), 'A')
        || setweight(to_tsvector('english', coalesce(c.headline, '') || ' ' || array_to_string(r.skills, ' ')), 'B')
           AS profile,
           setweight(to_tsvector('english', left(coalesce(r.body, ''), 400000)), 'C') AS body,
           r.skills, concat_ws(' ', c.headline, r.titles) AS titles, coalesce(r.companies, '') AS companies
    FROM candidates c
    CROSS JOIN LATERAL (
        SELECT string_agg(array_to_string(x.titles, ' '), ' ') AS titles,
               string_agg(array_to_string(x.companies, ' '), ' ') AS companies,
               string_agg(x.text, E'\\n') AS body,
               coalesce((SELECT array_agg(DISTINCT k) FROM resumes y, unnest(y.skills) k
                         WHERE y.candidate_id = cid AND y.erased_at IS NULL), '{}') AS skills
        FROM resumes x WHERE x.candidate_id = cid AND x.erased_at IS NULL) r
    WHERE c.id = cid
), documents AS (
    INSERT INTO candidate_search AS s (candidate_id, document, skills, titles, companies, updated_at)
    SELECT id, profile || body, skills, titles, companies, now() FROM parts
    ON CONFLICT (candidate_id) DO UPDATE SET document = EXCLUDED.document, skills = EXCLUDED.skills,
        titles = EXCLUDED.titles, companies = EXCLUDED.companies, updated_at = EXCLUDED.updated_at
)
INSERT INTO candidate_search_profiles AS p (candidate_id, profile, updated_at)
SELECT id, profile, now() FROM parts
ON CONFLICT (candidate_id) DO UPDATE SET profile = EXCLUDED.profile, updated_at = EXCLUDED.updated_at
$$
"""

PREVIOUS = """
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


def upgrade() -> None:
    op.create_table(
        'candidate_search_profiles',
        sa.Column('candidate_id', sa.Uuid(), nullable=False),
        sa.Column('profile', postgresql.TSVECTOR(), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['candidate_id'], ['candidates.id'], ondelete='CASCADE',
                                name=op.f('fk_candidate_search_profiles_candidate_id_candidates')),
        sa.PrimaryKeyConstraint('candidate_id', name=op.f('pk_candidate_search_profiles')),
    )
    op.create_index('ix_candidate_search_profiles_profile', 'candidate_search_profiles', ['profile'],
                    postgresql_using='gin')
    op.execute(REFRESH)
    op.execute("SELECT ats_refresh_candidate_search(candidate_id) FROM candidate_search")


def downgrade() -> None:
    op.execute(PREVIOUS)
    op.drop_index('ix_candidate_search_profiles_profile', table_name='candidate_search_profiles')
    op.drop_table('candidate_search_profiles')
