"""The audit chain is linked at COMMIT, so no client round trip happens while its lock is held

Every ATS write appends to one hash chain, so every write takes the chain's lock. `audit_append` took it in the
closing statement, and the lock stayed held until the service sent COMMIT: a round trip through the service's
event loop, which under load waits behind every other request in the process. Measured at 162 creates/s beside
the sync (2 cores), the ATS's create answered at a p50 of 131-183 ms with that lock, 41-44 ms without it.

Now the closing statement only writes the transaction's entries to `audit_pending` (no lock). A deferred
constraint trigger runs inside COMMIT: it takes the chain's lock, reads the last hash, links the entries in their
order into `audit_events` (sha256 over the previous hash and the entry's canonical JSON, as before), stores their
personal values beside them and deletes the pending rows. The lock is held from there to the end of the COMMIT
only, inside the database. `audit_events` and its verification are unchanged; no committed transaction leaves a
row in `audit_pending`, which is UNLOGGED (it never holds anything past a COMMIT, so it needs no WAL).

Revision ID: 7c3e9a1f4b28
Revises: 6b2d8f4c0e31
Create Date: 2026-12-03 01:40:00
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = '7c3e9a1f4b28'
down_revision = '6b2d8f4c0e31'
branch_labels = None
depends_on = None

_LINK = """
    CREATE FUNCTION audit_link() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        prev text;
        p record;
        new_id bigint;
    BEGIN
        -- One call per pending row, all at COMMIT: the first links every row of the transaction, the others find
        -- none. Other transactions' pending rows are never visible here (they are deleted before their COMMIT).
        FOR p IN WITH taken AS (DELETE FROM audit_pending RETURNING *) SELECT * FROM taken ORDER BY taken.id LOOP
            IF prev IS NULL THEN
                -- VOLATILE: the last hash is read after the lock is granted. 1095058516 is the chain's key ('AUDT').
                PERFORM pg_advisory_xact_lock(1095058516);
                SELECT e.hash INTO prev FROM audit_events e ORDER BY e.id DESC LIMIT 1;
                prev := coalesce(prev, repeat('0', 64));
            END IF;
            INSERT INTO audit_events (occurred_at, actor, on_behalf_of, request_id, causation_id, action,
                                      target_type, target_id, changes, subject_id, personal_digest, prev_hash, hash)
            SELECT r.occurred_at, r.actor, r.on_behalf_of, r.request_id, r.causation_id, r.action,
                   r.target_type, r.target_id, r.changes, r.subject_id, r.personal_digest, prev,
                   encode(sha256(convert_to(prev || p.canonical, 'UTF8')), 'hex')
            FROM jsonb_populate_record(NULL::audit_events, p.entry) AS r
            RETURNING audit_events.hash, audit_events.id INTO prev, new_id;
            IF p.personal IS NOT NULL THEN
                INSERT INTO audit_personal_values (entry_id, subject_id, salt, values)
                VALUES (new_id, p.personal->>'subject_id', p.personal->>'salt', p.personal->'values');
            END IF;
        END LOOP;
        RETURN NULL;
    END $$"""

_APPEND = """
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
    op.create_table('audit_pending',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=True), nullable=False),
    sa.Column('entry', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('canonical', sa.Text(), nullable=False),
    sa.Column('personal', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_pending')),
    prefixes=['UNLOGGED'])
    op.execute(_LINK)
    op.execute("""CREATE CONSTRAINT TRIGGER audit_pending_link AFTER INSERT ON audit_pending
                  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_link()""")
    op.execute("DROP FUNCTION audit_append(jsonb, text[])")


def downgrade() -> None:
    op.execute(_APPEND)
    op.execute("DROP TRIGGER audit_pending_link ON audit_pending")
    op.execute("DROP FUNCTION audit_link()")
    op.drop_table('audit_pending')
