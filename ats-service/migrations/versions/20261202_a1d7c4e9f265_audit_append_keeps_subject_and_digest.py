"""audit_append() stores each entry's subject and personal digest and returns the new entries' ids

The entries now keep personal values apart (`audit_personal_values`, one row per entry, erasable): the chain's
insert carries `subject_id` and `personal_digest` (both in the hashed canonical JSON) and hands back the ids, so
the personal values can be stored beside their entries in the same transaction.

Revision ID: a1d7c4e9f265
Revises: bcc3396874cd
Create Date: 2026-12-02 02:10:00
"""
from alembic import op

revision = 'a1d7c4e9f265'
down_revision = 'bcc3396874cd'
branch_labels = None
depends_on = None

_BODY = """
    CREATE FUNCTION audit_append(entries jsonb, canonicals text[]) RETURNS TABLE (id bigint) LANGUAGE plpgsql AS $$
    DECLARE
        prev text;
        entry jsonb;
        new_id bigint;
        i integer := 0;
    BEGIN
        PERFORM pg_advisory_xact_lock(1095058516);
        SELECT e.hash INTO prev FROM audit_events e ORDER BY e.id DESC LIMIT 1;
        prev := coalesce(prev, repeat('0', 64));
        FOR entry IN SELECT value FROM jsonb_array_elements(entries) LOOP
            i := i + 1;
            INSERT INTO audit_events (occurred_at, actor, on_behalf_of, request_id, causation_id, action,
                                      target_type, target_id, changes, subject_id, personal_digest, prev_hash, hash)
            SELECT r.occurred_at, r.actor, r.on_behalf_of, r.request_id, r.causation_id, r.action,
                   r.target_type, r.target_id, r.changes, r.subject_id, r.personal_digest, prev,
                   encode(sha256(convert_to(prev || canonicals[i], 'UTF8')), 'hex')
            FROM jsonb_populate_record(NULL::audit_events, entry) AS r
            RETURNING audit_events.hash, audit_events.id INTO prev, new_id;
            id := new_id;
            RETURN NEXT;
        END LOOP;
    END $$"""


def upgrade() -> None:
    op.execute("DROP FUNCTION audit_append(jsonb, text[])")
    op.execute(_BODY)


def downgrade() -> None:
    op.execute("DROP FUNCTION audit_append(jsonb, text[])")
    op.execute(_BODY.replace("RETURNS TABLE (id bigint)", "RETURNS void")
               .replace(", subject_id, personal_digest, prev_hash", ", prev_hash")
               .replace(" r.subject_id, r.personal_digest,", "")
               .replace("            id := new_id;\n            RETURN NEXT;\n", ""))
