"""audit personal values kept apart

`audit_events` gains `subject_id` (the candidate an entry is about) and `personal_digest`; personal values (names,
contact points, free text) move to `audit_personal_values`, which erasure deletes. Existing entries are split and
the chain is recomputed once, here, with the append-only trigger disabled for this migration only.

Revision ID: c1a7e3b5d902
Revises: f3a9d6c2b871
Create Date: 2026-12-01 23:10:00
"""
import hashlib
import json
import secrets
from datetime import UTC

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'c1a7e3b5d902'
down_revision = 'f3a9d6c2b871'
branch_labels = None
depends_on = None

# As in ats.audit.personal at the time of this migration (a migration is a snapshot: it never imports app code).
PERSONAL_KEYS = {"first_name", "last_name", "emails", "phones", "location", "headline", "tags", "current_company",
                 "links", "body", "notes", "ratings", "terms", "salary", "currency", "decline_reason", "hire_override",
                 "referrer"}


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def upgrade() -> None:
    op.add_column('audit_events', sa.Column('subject_id', sa.Text(), nullable=True, comment='the candidate the entry is about'))
    op.add_column('audit_events', sa.Column('personal_digest', sa.Text(), nullable=True,
                                            comment='sha256 of salt + the personal values'))
    op.alter_column('audit_events', 'changes', comment='the changes without personal values')
    op.create_index(op.f('ix_audit_events_subject_id'), 'audit_events', ['subject_id'], unique=False)
    op.create_table('audit_personal_values',
    sa.Column('entry_id', sa.BigInteger(), nullable=False),
    sa.Column('subject_id', sa.Text(), nullable=False, comment='the candidate the values are about'),
    sa.Column('salt', sa.Text(), nullable=False, comment='random: without it the digest cannot confirm a guessed value'),
    sa.Column('values', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['audit_events.id'], name=op.f('fk_audit_personal_values_entry_id_audit_events')),
    sa.PrimaryKeyConstraint('entry_id', name=op.f('pk_audit_personal_values'))
    )
    op.create_index(op.f('ix_audit_personal_values_subject_id'), 'audit_personal_values', ['subject_id'], unique=False)
    _split_existing_entries()


def _split_existing_entries() -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT id, occurred_at, actor, on_behalf_of, request_id, causation_id, action, "
                                "target_type, target_id, changes FROM audit_events ORDER BY id")).mappings().all()
    if not rows:
        return
    conn.execute(sa.text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_no_update_delete"))
    prev = "0" * 64
    for r in rows:
        changes = r["changes"] or {}
        plain = {k: v for k, v in changes.items() if k not in PERSONAL_KEYS}
        private = {k: v for k, v in changes.items() if k in PERSONAL_KEYS}
        subject = r["target_id"] if r["target_type"] == "candidate" else None
        digest = None
        if private:
            salt = secrets.token_hex(16)
            digest = hashlib.sha256((salt + _canonical(private)).encode()).hexdigest()
            conn.execute(sa.text("INSERT INTO audit_personal_values (entry_id, subject_id, salt, values) "
                                 "VALUES (:id, :subject, :salt, CAST(:values AS jsonb))"),
                         {"id": r["id"], "subject": subject or "", "salt": salt, "values": json.dumps(private, default=str)})
        body = _canonical({
            "occurred_at": r["occurred_at"].astimezone(UTC).isoformat(), "actor": r["actor"],
            "on_behalf_of": r["on_behalf_of"], "request_id": r["request_id"], "causation_id": r["causation_id"],
            "action": r["action"], "target_type": r["target_type"], "target_id": r["target_id"], "changes": plain,
            "subject_id": subject, "personal_digest": digest})
        prev_hash, prev = prev, hashlib.sha256((prev + body).encode()).hexdigest()
        conn.execute(sa.text("UPDATE audit_events SET changes = CAST(:changes AS jsonb), subject_id = :subject, "
                             "personal_digest = :digest, prev_hash = :prev_hash, hash = :hash WHERE id = :id"),
                     {"changes": json.dumps(plain, default=str), "subject": subject, "digest": digest,
                      "prev_hash": prev_hash, "hash": prev, "id": r["id"]})
    conn.execute(sa.text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_no_update_delete"))


def downgrade() -> None:
    op.drop_index(op.f('ix_audit_personal_values_subject_id'), table_name='audit_personal_values')
    op.drop_table('audit_personal_values')
    op.drop_index(op.f('ix_audit_events_subject_id'), table_name='audit_events')
    op.drop_column('audit_events', 'personal_digest')
    op.drop_column('audit_events', 'subject_id')
