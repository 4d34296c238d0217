"""candidate search ranks on a compact document: names, titles, headline, skills and the start of the resume text
(the match still runs on the whole document through its GIN index). ts_rank reads the tsvector of every matching
row; a resume's whole text makes that tsvector large (stored out of line), so ranking a common word over 100,000
candidates cost more than the search's 50 ms budget.

Revision ID: a8c4e2f6b913
Revises: c9e4b17a5d02
Create Date: 2026-12-02 09:30:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'a8c4e2f6b913'
down_revision = 'c9e4b17a5d02'
branch_labels = None
depends_on = None

RANKED_CHARS = 3000  # of the resume text, in the ranking document: its first page, about 450 words

REFRESH = f"""
CREATE OR REPLACE FUNCTION ats_refresh_candidate_search(cid uuid) RETURNS void LANGUAGE sql AS $$
INSERT INTO candidate_search AS s (candidate_id, document, rank_document, skills, titles, companies, updated_at)
SELECT c.id, w.head || setweight(to_tsvector('english', left(coalesce(r.body, ''), 400000)), 'C'),
       w.head || setweight(to_tsvector('english', left(coalesce(r.body, ''), {RANKED_CHARS})), 'C'),
       r.skills, concat_ws(' ', c.headline, r.titles), coalesce(r.companies, ''), now()
FROM candidates c
CROSS JOIN LATERAL (
    SELECT string_agg(array_to_string(x.titles, ' '), ' ') AS titles,
           string_agg(array_to_string(x.companies, ' '), ' ') AS companies,
           string_agg(x.text, E'\\n') AS body,
           coalesce((SELECT array_agg(DISTINCT k) FROM resumes y, unnest(y.skills) k
                     WHERE y.candidate_id = cid AND y.erased_at IS NULL), '{{}}') AS skills
    FROM resumes x WHERE x.candidate_id = cid AND x.erased_at IS NULL) r
CROSS JOIN LATERAL (
    SELECT setweight(to_tsvector('english', c.first_name || ' ' || c.last_name || ' ' || coalesce(r.titles, '')), 'A')
        || setweight(to_tsvector('english', coalesce(c.headline, '') || ' ' || array_to_string(r.skills, ' ')), 'B')
           AS head) w
WHERE c.id = cid
ON CONFLICT (candidate_id) DO UPDATE SET document = EXCLUDED.document, rank_document = EXCLUDED.rank_document,
    skills = EXCLUDED.skills, titles = EXCLUDED.titles, companies = EXCLUDED.companies, updated_at = EXCLUDED.updated_at
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
    op.add_column('candidate_search', sa.Column('rank_document', postgresql.TSVECTOR(), nullable=True,
                                                comment='what ts_rank reads: the document with the resume text cut'))
    op.execute(REFRESH)
    op.execute("SELECT ats_refresh_candidate_search(candidate_id) FROM candidate_search")


def downgrade() -> None:
    op.execute(PREVIOUS)
    op.drop_column('candidate_search', 'rank_document')
