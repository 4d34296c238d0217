"""audit_append(): the audit chain's lock, link and insert in one statement

An ATS write held the chain's lock over three round trips before its COMMIT (lock, read the last hash, insert),
and every ATS write waits for that lock. `audit_append(entries, canonicals)` takes the lock, reads the last hash
and inserts each entry linked to the one before (sha256 over the previous hash and the entry's canonical JSON,
as `ats.audit.service.entry_hash` computes it to verify) in one call, so the lock is held for that call and the
COMMIT after it.

Revision ID: f3a9d6c2b871
Revises: e6f1a2b9c305
Create Date: 2026-12-02 00:30:00
"""
from alembic import op

revision = 'f3a9d6c2b871'
down_revision = 'e6f1a2b9c305'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # VOLATILE (the default): each statement in it sees what committed before it ran, so the last hash is read
    # after the lock is granted. 1095058516 is the chain's lock key ('AUDT').
    op.execute("""
        CREATE FUNCTION audit_append(entries jsonb, canonicals text[]) RETURNS void LANGUAGE plpgsql AS $$
        DECLARE
            prev text;
            entry jsonb;
            i integer := 0;
        BEGIN
            PERFORM pg_advisory_xact_lock(1095058516);
            SELECT hash INTO prev FROM audit_events ORDER BY id DESC LIMIT 1;
            prev := coalesce(prev, repeat('0', 64));
            FOR entry IN SELECT value FROM jsonb_array_elements(entries) LOOP
                i := i + 1;
                INSERT INTO audit_events (occurred_at, actor, on_behalf_of, request_id, causation_id, action,
                                          target_type, target_id, changes, prev_hash, hash)
                SELECT r.occurred_at, r.actor, r.on_behalf_of, r.request_id, r.causation_id, r.action,
                       r.target_type, r.target_id, r.changes, prev,
                       encode(sha256(convert_to(prev || canonicals[i], 'UTF8')), 'hex')
                FROM jsonb_populate_record(NULL::audit_events, entry) AS r
                RETURNING hash INTO prev;
            END LOOP;
        END $$""")


def downgrade() -> None:
    op.execute("DROP FUNCTION audit_append(jsonb, text[])")
