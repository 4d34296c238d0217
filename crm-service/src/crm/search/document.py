"""The search document of a prospect, a stored generated column of `prospects`: PostgreSQL computes it with every
write, so it can never lag behind. Weights: A name and current title, B headline and skills, C company, location
and tags. One text search configuration (english) for every part, the one queries use."""

DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' "
    "|| coalesce(current_title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(headline, '') || ' ' || talent_join(skills)), 'B') || "
    "setweight(to_tsvector('english'::regconfig, coalesce(current_company, '') || ' ' || coalesce(location, '') || ' ' "
    "|| talent_join(tags)), 'C')"
)
# array_to_string is only STABLE; a generated column needs IMMUTABLE (joining text is).
JOIN_FUNCTION = """
CREATE OR REPLACE FUNCTION talent_join(text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT coalesce(array_to_string($1, ' '), '') $$
"""
